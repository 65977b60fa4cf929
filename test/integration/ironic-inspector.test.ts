/**
 * Inspection with Debian's ironic-inspector: Ironic (`inspector` inspect interface) starts an introspection,
 * the Anvil agent, booted with `ipa-inspection-callback-url`, posts its hardware inventory in IPA's format to
 * inspector's /v1/continue, and inspector finds the node by its MAC, stores the data and fills cpus,
 * memory_mb, local_gb and cpu_arch; the node returns to manageable.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { AgentProcess } from '../helpers/agent-process';
import { enrollNode, freePort, IronicServer } from '../helpers/ironic';
import { InspectorServer } from '../helpers/inspector';
import { LoopDisks } from '../helpers/loop';

const GiB = 1024 ** 3;
const work = mkdtempSync(join(tmpdir(), 'anvil-inspect-test-'));
const loops = new LoopDisks();
const agents: AgentProcess[] = [];
let ironic: IronicServer;
let inspector: InspectorServer;

/** A NIC of this machine (the agent reports the machine it runs on): the node's port carries its MAC. */
function hostNic(): { name: string; mac: string } {
  for (const name of readdirSync('/sys/class/net')) {
    if (!existsSync(join('/sys/class/net', name, 'device'))) continue;
    const mac = readFileSync(join('/sys/class/net', name, 'address'), 'utf8').trim();
    if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) && mac !== '00:00:00:00:00:00') return { name, mac };
  }
  throw new Error('this machine has no network interface with a device and a MAC in /sys/class/net: the inspection test reports this machine');
}

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  ironic = await IronicServer.start({
    conf: {
      DEFAULT: { enabled_inspect_interfaces: 'fake,no-inspect,inspector' },
      inspector: { auth_type: 'none', endpoint_override: url, callback_endpoint_override: url, status_check_period: 2 },
    },
  });
  inspector = await InspectorServer.start({ ironicUrl: ironic.url, port });
}, 180_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await inspector?.stop();
  await ironic?.stop();
  loops.cleanup();
});

describe('inspection through ironic-inspector', () => {
  it('baremetal node inspect: the agent’s inventory reaches inspector, which fills the node’s properties', async () => {
    const nic = hostNic();
    const dev = loops.create('inspect', 8 * GiB); // sparse; IPA's root disk rule wants at least 4 GiB
    const client = ironic.client();
    const node = await enrollNode(client, { name: 'inspect-node', mac: nic.mac });
    await client.patchNode(node.uuid, [{ op: 'replace', path: '/inspect_interface', value: 'inspector' }]);
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'inspect');
    agents.push(await AgentProcess.start({ apiUrl: ironic.url, mac: nic.mac, disks: [dev], dir: join(work, 'agent'), extraArgs: ['--inspection-callback-url', `${inspector.url}/v1/continue`] }));
    const done = await client.waitForProvisionState(node.uuid, ['manageable', 'inspect failed'], { timeoutMs: 120_000, intervalMs: 500 });
    expect(done.last_error ?? null).toBeNull();
    expect(done.provision_state).toBe('manageable');
    process.stdout.write(`inspection (inspect → manageable, the agent's data through ironic-inspector): ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // As inspector writes them (strings, as for IPA): local_gb is the root disk less a GiB for partitioning.
    expect(done.properties).toMatchObject({ cpus: String(cpus().length), cpu_arch: arch() === 'x64' ? 'x86_64' : arch(), local_gb: '7' });
    expect(Number(done.properties.memory_mb)).toBeGreaterThan(0);

    // Inspector stored what the agent sent: the disk Anvil's inventory read, the NIC the node is known by.
    const res = await fetch(`${inspector.url}/v1/introspection/${node.uuid}/data`);
    expect(res.status).toBe(200);
    const data = (await res.json()) as { inventory: { disks: { name: string; size: number }[]; interfaces: { mac_address: string }[] }; root_disk: { name: string } };
    expect(data.inventory.disks).toEqual([expect.objectContaining({ name: dev, size: 8 * GiB })]);
    expect(data.root_disk.name).toBe(dev);
    expect(data.inventory.interfaces.map((i) => i.mac_address)).toContain(nic.mac);
    const status = (await (await fetch(`${inspector.url}/v1/introspection/${node.uuid}`)).json()) as { finished: boolean; error: string | null };
    expect(status).toMatchObject({ finished: true, error: null });
  }, 240_000);
});
