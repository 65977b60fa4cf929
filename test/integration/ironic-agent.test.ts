/**
 * The agent as a deploy ramdisk driven by a real Ironic: Debian's Ironic 2023.1 (single-process `ironic`,
 * SQLite, noauth) with fake-hardware nodes on the stock custom-agent deploy interface, and the real
 * `anvil-agent` daemon on this machine playing each node's ramdisk over loop devices.
 *
 * Ironic runs with a 20 s deploy-callback timeout and a 10 s heartbeat timeout (heartbeats every 3–6 s),
 * so every successful deploy here also shows the agent keeps a deploy alive longer than the callback
 * timeout would allow a silent one.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IronicClient } from '@anvil/shared';
import { AgentProcess } from '../helpers/agent-process';
import { FileServer } from '../helpers/http-server';
import { enrollNode, IronicServer } from '../helpers/ironic';
import { blkid, hashDevice, LoopDisks, readBytes } from '../helpers/loop';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const IMAGE_BYTES = 24 * MiB;
const loops = new LoopDisks();
const files = new FileServer();
const work = mkdtempSync(join(tmpdir(), 'anvil-ironic-test-'));
let ironic: IronicServer;
let client: IronicClient;
let image: string;
let imageSha256: string;
const agents: AgentProcess[] = [];
let macSeq = 0;

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });
const nextMac = (): string => `52:54:00:aa:00:${(++macSeq).toString(16).padStart(2, '0')}`;

async function startAgent(mac: string, disks: string[], extra: { dir?: string; stateDir?: string; port?: number } = {}): Promise<AgentProcess> {
  const a = await AgentProcess.start({ apiUrl: ironic.url, mac, disks, dir: extra.dir ?? join(work, mac.replace(/:/g, '')), ...(extra.stateDir ? { stateDir: extra.stateDir } : {}), ...(extra.port ? { port: extra.port } : {}) });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  ironic = await IronicServer.start({ conf: { conductor: { deploy_callback_timeout: 20, check_provision_state_interval: 3 } } });
  client = ironic.client();
  await files.start();
  image = join(work, 'disk.img');
  writeFileSync(image, '');
  sh('truncate', ['-s', String(IMAGE_BYTES), image]);
  const fd = openSync(image, 'r+');
  for (let off = 2 * MiB; off < IMAGE_BYTES - 2 * MiB; off += 3 * MiB) writeSync(fd, randomBytes(MiB), 0, MiB, off);
  closeSync(fd);
  sh('sgdisk', ['--new=1:2048:+16M', '--typecode=1:8300', '--change-name=1:os', image]);
  imageSha256 = createHash('sha256').update(readFileSync(image)).digest('hex');
  files.add('/disk.img', image);
  files.add('/slow-disk.img', image, { rateBps: 1.2 * MiB });
}, 180_000);

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

afterAll(async () => {
  await files.stop();
  await ironic?.stop();
  loops.cleanup();
});

function expectImageOn(dev: string): void {
  const span = IMAGE_BYTES - 2 * MiB;
  expect(hashDevice(dev, MiB, span)).toBe(createHash('sha256').update(readFileSync(image).subarray(MiB, MiB + span)).digest('hex'));
  expect(sh('sgdisk', ['--info=1', dev])).toMatch(/Partition name: 'os'/);
}

describe('Ironic custom-agent deploys driven by a real conductor', () => {
  it('deploys a whole-disk image from standalone instance_info with the config drive of the provision request, to active', async () => {
    const dev = loops.create('deploy', 128 * MiB);
    const mac = nextMac();
    const node = await enrollNode(client, {
      name: 'deploy-ok',
      mac,
      instanceInfo: { image_source: files.url('/disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: imageSha256, image_type: 'whole-disk', root_device: { name: dev } },
    });
    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    const agent = await startAgent(mac, [dev]);
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active', {
      configdrive: { meta_data: { hostname: 'anvil-node-1', public_keys: { k: 'ssh-ed25519 AAAA test' } }, user_data: '#cloud-config\nfinal_message: anvil\n', network_data: { links: [], networks: [], services: [] } },
    });
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    const seconds = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    expect(await agent.exited).toBe(0); // standby.power_off ends the daemon outside a ramdisk
    expectImageOn(dev);
    // The config drive: a partition at the end of the disk, labelled config-2, holding the request's data.
    const parts = JSON.parse(sh('sfdisk', ['--json', dev])) as { partitiontable: { partitions: { node: string; start: number; size: number }[] } };
    const cd = parts.partitiontable.partitions.at(-1)!;
    expect(blkid(cd.node)).toMatchObject({ LABEL: 'config-2' });
    sh('xorriso', ['-indev', `stdio:${cd.node}`, '-osirrox', 'on', '-extract', '/openstack/latest/meta_data.json', join(work, 'meta.json')]);
    expect(JSON.parse(readFileSync(join(work, 'meta.json'), 'utf8'))).toMatchObject({ hostname: 'anvil-node-1', uuid: node.uuid });
    const log = agent.entries();
    expect(log.some((e) => e.msg === 'lookup found the node' && e.node_uuid === node.uuid)).toBe(true);
    expect(log.some((e) => e.msg === 'plan resolved' && e.origin === 'instance_info')).toBe(true);
    process.stdout.write(`deploy to active: ${seconds.toFixed(1)} s\n`);
  });
});
