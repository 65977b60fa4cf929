/**
 * The conductor plugin (contrib/ironic) in a real Ironic 2023.1 conductor: installed with Debian's pip, loaded
 * through its entry points, its hardware type accepting `--deploy-interface anvil`, validate() showing the
 * driver-service's verdict, a deploy to `active` with the real agent, `passthru call … status` and the progress
 * summary in driver_internal_info during it, and a layout that does not fit the disks the agent reported
 * refused by `baremetal node validate` and at the start of a deploy, before anything happens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../agent/src/cli/main';
import { AgentProcess } from '../helpers/agent-process';
import { conductorPlugin } from '../helpers/conductor-plugin';
import { useDriverService } from '../helpers/driver-service';
import { enrollNode, freePort, waitFor } from '../helpers/ironic';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const rig = useDriverService({
  prefix: 'anvil-plugin-test-',
  ironic: (serviceUrl) => ({
    pythonPath: [conductorPlugin()],
    conf: {
      DEFAULT: {
        enabled_hardware_types: 'fake-hardware,anvil-ipmi',
        enabled_deploy_interfaces: 'fake,custom-agent,direct,anvil',
        enabled_vendor_interfaces: 'fake,no-vendor,ipmitool,anvil,anvil-ipmitool',
        enabled_power_interfaces: 'fake,ipmitool',
        enabled_management_interfaces: 'fake,ipmitool',
        enabled_boot_interfaces: 'fake,pxe',
      },
      anvil: { service_url: serviceUrl, timeout: 10 },
    },
  }),
});
const { work, loops, files, agents, api } = rig;

type Validation = Record<string, { result: boolean | null; reason: string | null }>;
const IRONIC_HEADERS = { 'X-OpenStack-Ironic-API-Version': '1.82', 'content-type': 'application/json' };
async function ironic<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${rig.ironic.url}${path}`, { ...init, headers: { ...IRONIC_HEADERS, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const layout = (dev: string, rootSize: string): Record<string, unknown> => ({
  version: 1,
  disks: [{ id: 'd', select: { name: dev }, table: 'gpt', partitions: [{ id: 'root', size: rootSize }] }],
  filesystems: [{ id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } }],
  images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
});

async function putLayout(name: string, plan: Record<string, unknown>): Promise<void> {
  const res = await api(`/v1/layouts/${name}`, { method: 'PUT', body: JSON.stringify({ plan }) });
  expect(res.status).toBe(200);
}

describe('the conductor plugin in a real conductor', () => {
  it('is loaded from its entry points: anvil-ipmi lists the anvil interfaces and documents its driver_info keys', async () => {
    const drivers = await ironic<{ drivers: { name: string }[] }>('/v1/drivers');
    expect(drivers.body.drivers.map((d) => d.name)).toEqual(expect.arrayContaining(['anvil-ipmi', 'fake-hardware']));
    const detail = await ironic<Record<string, unknown>>('/v1/drivers/anvil-ipmi');
    expect(detail.body).toMatchObject({ default_deploy_interface: 'anvil', default_vendor_interface: 'anvil-ipmitool', enabled_deploy_interfaces: expect.arrayContaining(['anvil', 'custom-agent']) });
    const props = await ironic<Record<string, string>>('/v1/drivers/anvil-ipmi/properties');
    expect(props.body.anvil_metadata_url).toMatch(/Required; written by the driver-service when it adopts the node/);
    expect(props.body.ipmi_address).toBeDefined(); // the ipmi type's own keys are kept
  });

  it('an anvil-ipmi node takes --deploy-interface anvil (and nothing its type does not list), keeps ipmitool’s vendor methods, and says what is missing', async () => {
    const client = rig.ironic.client();
    const node = await client.createNode({ name: 'plugin-ipmi', driver: 'anvil-ipmi', driver_info: { ipmi_address: '127.0.0.1', ipmi_port: await freePort(), ipmi_username: 'admin', ipmi_password: 'password', deploy_kernel: 'http://127.0.0.1:1/k', deploy_ramdisk: 'http://127.0.0.1:1/r' } });
    expect(node).toMatchObject({ deploy_interface: 'anvil', vendor_interface: 'anvil-ipmitool', power_interface: 'ipmitool' });
    await client.createPort(node.uuid, '52:54:00:cc:00:20'); // PXE boot validates that the node has one
    // baremetal node set --deploy-interface custom-agent, then back to anvil
    expect((await client.patchNode(node.uuid, [{ op: 'replace', path: '/deploy_interface', value: 'custom-agent' }])).deploy_interface).toBe('custom-agent');
    expect((await client.patchNode(node.uuid, [{ op: 'replace', path: '/deploy_interface', value: 'anvil' }])).deploy_interface).toBe('anvil');
    const fake = await ironic<{ error_message: string }>(`/v1/nodes/${node.uuid}`, { method: 'PATCH', body: JSON.stringify([{ op: 'replace', path: '/deploy_interface', value: 'fake' }]) });
    expect(fake.status).toBe(400);
    const methods = await ironic<Record<string, { http_methods: string[] }>>(`/v1/nodes/${node.uuid}/vendor_passthru/methods`);
    expect(Object.keys(methods.body).sort()).toEqual(['bmc_reset', 'send_raw', 'status']);
    expect(methods.body.status!.http_methods).toEqual(['GET']);
    // Not adopted yet: the deploy interface says so (after custom-agent's own checks pass).
    const v = await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`);
    expect(v.body.deploy).toMatchObject({ result: false, reason: expect.stringMatching(/has no driver_info\/anvil_metadata_url: adopt it with Anvil's driver-service/) });
    // Adoption keeps the plugin's deploy interface.
    const adopted = await api(`/v1/nodes/${node.uuid}/adopt`, { method: 'POST', body: '{}' });
    expect(await adopted.json()).toMatchObject({ deploy_interface: 'anvil' });
    expect((await client.getNode(node.uuid)).deploy_interface).toBe('anvil');
    await client.deleteNode(node.uuid);
  });

  it('deploys a node with the anvil interface to active, answers status and keeps a progress summary during it, then refuses a layout that does not fit the disks its agent reported, lets a deploy template choose the layout, and checks a layout sized by the flavor (instance_info.swap_mb) as Nova would write it', async () => {
    const dev = loops.create('plugin', 160 * MiB);
    await putLayout('small', layout(dev, '120MiB'));
    await putLayout('too-big', layout(dev, '64GiB'));
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    writeFileSync(join(tree, 'etc', 'anvil-marker'), 'deployed through the conductor plugin\n');
    writeFileSync(join(tree, 'payload.bin'), randomBytes(12 * MiB));
    const tarball = join(work, 'root.tar');
    execFileSync(tool('tar'), ['-cf', tarball, '-C', tree, '.']);
    files.add('/root.tar', tarball, { rateBps: 1 * MiB }); // slow enough for heartbeats to see it midway

    const client = rig.ironic.client();
    const mac = '52:54:00:cc:00:21';
    const node = await enrollNode(client, { name: 'plugin-node', mac });
    await client.patchNode(node.uuid, [
      { op: 'replace', path: '/deploy_interface', value: 'anvil' },
      { op: 'replace', path: '/vendor_interface', value: 'anvil' },
    ]);
    expect(await (await api(`/v1/nodes/${node.uuid}/adopt`, { method: 'POST', body: JSON.stringify({ layout: 'small' }) })).json()).toMatchObject({ deploy_interface: 'anvil', layout: 'small' });
    // No agent has reported disks yet: the plan is checked on its own, and it is valid.
    expect((await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`)).body.deploy?.result).toBe(true);
    const never = await ironic<{ node_uuid: string; deployment: unknown }>(`/v1/nodes/${node.uuid}/vendor_passthru?method=status`);
    expect(never.body).toEqual({ node_uuid: node.uuid, deployment: null });

    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    agents.push(await AgentProcess.start({ apiUrl: rig.ironic.url, mac, disks: [dev], dir: join(work, 'agent') }));
    const t0 = Date.now();
    const sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    const out: string[] = [];
    const deploying = main(['node', 'anvil', 'deploy', 'plugin-node', '--ironic-url', rig.ironic.url, '--image', files.url('/root.tar'), '--checksum', `sha256:${sum}`, '--service', rig.service.url, '--wait', '--timeout', '180'], { out: (t) => void out.push(t), err: () => undefined });

    // Midway: Ironic's vendor passthru answers the service's record, and a heartbeat has stored the summary.
    type Summary = { state: string; stage: string | null; step?: string; percent?: number };
    const midway = await waitFor('a progress summary in driver_internal_info while the image is written', 90_000, async () => {
      const n = await client.getNode(node.uuid);
      const s = (n as unknown as { driver_internal_info: Record<string, unknown> }).driver_internal_info.anvil_progress as Summary | undefined;
      return s?.state === 'running' && s.stage?.startsWith('extract_image') ? s : undefined;
    }, 300);
    expect(midway.step).toMatch(/^\d+\/\d+$/);
    const status = await ironic<{ deployment: { state: string; layout: string; stage: string | null } }>(`/v1/nodes/${node.uuid}/vendor_passthru?method=status`);
    expect(status.status).toBe(200);
    expect(status.body.deployment).toMatchObject({ state: 'running', layout: 'small' });
    // Ironic 2023.1 has no abort from `wait call-back` (its state machine allows abort from clean, inspect and
    // rescue waits only): `baremetal node abort` is refused and the deploy goes on; undeploy is the way out.
    const abort = await ironic<{ error_message: string }>(`/v1/nodes/${node.uuid}/states/provision`, { method: 'PUT', body: JSON.stringify({ target: 'abort' }) });
    expect(abort.status).toBe(400);
    expect(JSON.parse(abort.body.error_message).faultstring).toMatch(/"abort" can not be performed on node .* while it is in state "wait call-back"/);

    expect(await deploying).toBe(0);
    expect(out).toEqual(['plugin-node: active']);
    const active = (await client.getNode(node.uuid)) as unknown as { provision_state: string; deploy_interface: string; driver_internal_info: Record<string, unknown> };
    expect(active).toMatchObject({ provision_state: 'active', deploy_interface: 'anvil' });
    expect(active.driver_internal_info.anvil_progress).toMatchObject({ state: 'succeeded' });
    process.stdout.write(`conductor plugin: deploy interface anvil to active in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    // The deploy is closed once the service has seen it over and rotated the node's capability.
    await waitFor('the deployment to be closed', 30_000, async () => {
      const dep = (await (await api(`/v1/deployments/${node.uuid}`)).json()) as { closed_at: string | null };
      return dep.closed_at ? true : undefined;
    }, 200);

    // The agent reported its disks: the service checks layouts against them.
    const verdict = (await (await api(`/v1/nodes/${node.uuid}/validation`)).json()) as { valid: boolean; inventory: { disks: number } | null };
    expect(verdict).toMatchObject({ valid: true, inventory: { source: 'agent', disks: 1 } });

    // From the shell: `anvil layout check`, and adoption refusing a layout that does not fit, before it writes anything.
    const said: string[] = [];
    const io = { out: (t: string) => void said.push(t), err: (t: string) => void said.push(t) };
    expect(await main(['node', 'anvil', 'layout', 'check', 'small', '--node', 'plugin-node', '--service', rig.service.url], io)).toBe(0);
    expect(said.at(-1)).toMatch(new RegExp(`^layout small fits node ${node.uuid}; its 1 disk as its agent reported them at `));
    expect(await main(['node', 'anvil', 'layout', 'check', 'too-big', '--node', 'plugin-node', '--service', rig.service.url], io)).toBe(1);
    expect(said.slice(-2)).toEqual([expect.stringMatching(/^error \/disks\/0\/partitions\/0\/size size\.does_not_fit: /), expect.stringMatching(/^layout too-big does not fit node .* \(1 error\)/)]);
    const infoBefore = (await client.getNode(node.uuid)).driver_info;
    const refusedAdopt = await api(`/v1/nodes/${node.uuid}/adopt`, { method: 'POST', body: JSON.stringify({ layout: 'too-big' }) });
    expect(refusedAdopt.status).toBe(422);
    expect(await refusedAdopt.json()).toMatchObject({ code: 'layout.does_not_fit', entries: [expect.objectContaining({ code: 'size.does_not_fit', pointer: '/disks/0/partitions/0/size' })] });
    expect((await client.getNode(node.uuid)).driver_info).toEqual(infoBefore);

    // The operator points the node at a layout that needs 64 GiB of a 160 MiB disk.
    await client.patchNode(node.uuid, [{ op: 'add', path: '/driver_info/anvil_layout', value: 'too-big' }]);
    const refused = await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`);
    const reason = refused.body.deploy?.reason ?? '';
    process.stdout.write(`conductor plugin: baremetal node validate says: deploy False ${reason}\n`);
    expect(refused.body.deploy?.result).toBe(false);
    expect(reason).toContain(`Anvil layout too-big (driver_info.anvil_layout) does not fit node ${node.uuid} (its 1 disk as its agent reported them at`);
    expect(reason).toMatch(/size\.\w+ at \/disks\/0\/partitions\/0\/size: /);

    // Undeployed, a new deploy is refused before anything happens: the node stays available, its disk untouched.
    await client.setProvisionState(node.uuid, 'deleted');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 90_000, intervalMs: 300 });
    const before = execFileSync(tool('sfdisk'), ['--dump', dev], { encoding: 'utf8' });
    const start = await ironic<{ error_message: string }>(`/v1/nodes/${node.uuid}/states/provision`, { method: 'PUT', body: JSON.stringify({ target: 'active' }) });
    expect(start.status).toBe(400);
    expect(JSON.parse(start.body.error_message).faultstring).toContain('does not fit node');
    const after = await client.getNode(node.uuid);
    expect(after.provision_state).toBe('available');
    expect(execFileSync(tool('sfdisk'), ['--dump', dev], { encoding: 'utf8' })).toBe(before);

    // A deploy template named after a trait the deploy asks for picks the layout through the step's argument,
    // over driver_info's too-big: validate asks about it, and the agent fetches it.
    const template = await ironic<{ name: string }>('/v1/deploy_templates', { method: 'POST', body: JSON.stringify({ name: 'CUSTOM_ANVIL_SMALL', steps: [{ interface: 'deploy', step: 'anvil_provision', args: { layout: 'small' }, priority: 80 }] }) });
    expect(template.status).toBe(201);
    expect((await ironic(`/v1/nodes/${node.uuid}/traits/CUSTOM_ANVIL_SMALL`, { method: 'PUT' })).status).toBe(204);
    await client.patchNode(node.uuid, [{ op: 'add', path: '/instance_info/traits', value: ['CUSTOM_ANVIL_SMALL'] }]);
    expect((await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`)).body.deploy?.result).toBe(true);
    agents.push(await AgentProcess.start({ apiUrl: rig.ironic.url, mac, disks: [dev], dir: join(work, 'agent-2') }));
    const again = await main(['node', 'anvil', 'deploy', 'plugin-node', '--ironic-url', rig.ironic.url, '--image', files.url('/root.tar'), '--checksum', `sha256:${sum}`, '--service', rig.service.url, '--wait', '--timeout', '180'], { out: () => undefined, err: () => undefined });
    expect(again).toBe(0);
    const second = (await (await api(`/v1/deployments/${node.uuid}`)).json()) as { layout: string; state: string };
    expect(second).toMatchObject({ layout: 'small', state: 'succeeded' });

    // A layout that reads the flavor: a swap partition sized by instance_info.swap_mb, as Nova writes it. Ironic's
    // validate (which Nova calls before a deploy) is answered from the node's instance_info as it is now.
    await putLayout('flavored', { ...layout(dev, 'remaining'), disks: [{ id: 'd', select: { name: dev }, table: 'gpt', partitions: [{ id: 'swap', size: '{{instance.swap_size}}', type: 'swap' }, { id: 'root', size: 'remaining' }] }], filesystems: [{ id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } }, { id: 'fs-swap', device: 'swap', type: 'swap' }] });
    await client.patchNode(node.uuid, [{ op: 'remove', path: '/instance_info/traits' }, { op: 'add', path: '/instance_info/anvil_layout', value: 'flavored' }, { op: 'add', path: '/instance_info/swap_mb', value: '32' }]);
    expect((await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`)).body.deploy?.result).toBe(true);
    await client.patchNode(node.uuid, [{ op: 'add', path: '/instance_info/swap_mb', value: '4096' }]);
    const flavorRefused = (await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`)).body.deploy;
    expect(flavorRefused?.result).toBe(false);
    expect(flavorRefused?.reason).toMatch(/^Anvil layout flavored \(instance_info\.anvil_layout\) does not fit node .*size\.\w+ at \/disks\/0\/partitions\/0\/size: partition "swap" ends /);
    await client.patchNode(node.uuid, [{ op: 'add', path: '/instance_info/swap_mb', value: 'lots' }]);
    expect((await ironic<Validation>(`/v1/nodes/${node.uuid}/validate`)).body.deploy?.reason).toContain('instance_info.swap_mb must be a whole number of MiB');
  }, 300_000);
});
