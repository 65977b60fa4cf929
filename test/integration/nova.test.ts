/**
 * A tenant's `openstack server create` on a bare-metal flavor deploys through Anvil, with the real services
 * Debian ships: Keystone, Glance, RabbitMQ, Placement, Nova (api, conductor, scheduler, nova-compute with the
 * Ironic driver), Neutron (ML2 flat + networking-baremetal's mechanism driver and ironic-neutron-agent, on
 * PostgreSQL), Ironic with the conductor plugin (`--deploy-interface anvil`, `--network-interface flat`) and the
 * driver-service. The node is fake-hardware and its ramdisk is the real agent as a host process on a loop
 * device (the fast variant: no VM). Nova picks the node by the flavor's resource class and required trait,
 * writes the flavor into instance_info; the trait chooses the layout, the flavor sizes its root, swap and
 * ephemeral disk and names the ephemeral file system; the config drive Nova built (meta_data with the key,
 * network_data with the node's MAC from the Neutron port) is the one on the disk. Delete returns the node to
 * `available`; `openstack server rebuild --preserve-ephemeral` keeps the ephemeral disk's bytes (a rebuild
 * without it makes the disk anew); a flavor whose root cannot fit is refused by Anvil through Ironic's validate.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@anvil/shared';
import { loadConfig, startService, type RunningService } from '../../driver-service/src';
import { AgentProcess } from '../helpers/agent-process';
import { conductorPlugin } from '../helpers/conductor-plugin';
import { GlanceServer } from '../helpers/glance';
import { freePort, IronicServer, waitFor } from '../helpers/ironic';
import { KeystoneServer } from '../helpers/keystone';
import { LoopDisks } from '../helpers/loop';
import { NeutronServer, NovaServer, PlacementServer } from '../helpers/nova';
import { PostgresServer } from '../helpers/postgres';
import { RabbitMQServer } from '../helpers/rabbitmq';
import { tool } from '../helpers/tools';

const GiB = 1024 ** 3;
const PHYSNET = 'physnet1';
const TRAIT = 'CUSTOM_ANVIL_FLAVORED';
const MAC = '52:54:00:ab:17:01';
const work = mkdtempSync(join(tmpdir(), 'anvil-nova-test-'));
const loops = new LoopDisks();
const agents: AgentProcess[] = [];
let keystone: KeystoneServer;
let glance: GlanceServer;
let rabbit: RabbitMQServer;
let pg: PostgresServer;
let placement: PlacementServer;
let neutron: NeutronServer;
let nova: NovaServer;
let ironic: IronicServer;
let service: RunningService;
let token: string;
const stackStarted: Record<string, number> = {};

/** A JSON request to one of the stack's APIs as the admin. */
async function call<T>(url: string, init: RequestInit = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', 'X-Auth-Token': token, ...headers, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T };
}
const IRONIC = { 'X-OpenStack-Ironic-API-Version': '1.82' };
const NOVA = { 'OpenStack-API-Version': 'compute 2.79', 'X-OpenStack-Nova-API-Version': '2.79' };
const ok = <T>(r: { status: number; body: T }, what: string): T => {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** The tenant's command line: the openstack client as the admin of the admin project. */
function openstack(...args: string[]): string {
  return execFileSync('/usr/bin/openstack', args, {
    encoding: 'utf8',
    env: { ...process.env, OS_AUTH_URL: `${keystone.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: keystone.adminPassword, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public', OS_REGION_NAME: 'RegionOne' },
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  const mark = (what: string): void => void (stackStarted[what] = (Date.now() - t0) / 1000);
  [keystone, rabbit, pg] = await Promise.all([KeystoneServer.start(), RabbitMQServer.start(), PostgresServer.start('neutron')]);
  mark('keystone, rabbitmq, postgresql');
  const servicePort = await freePort();
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  [glance, placement, ironic] = await Promise.all([
    GlanceServer.start(keystone),
    PlacementServer.start(keystone),
    IronicServer.start({
      pythonPath: [conductorPlugin()],
      conf: {
        DEFAULT: { enabled_deploy_interfaces: 'fake,custom-agent,direct,anvil', enabled_vendor_interfaces: 'fake,no-vendor,anvil', enabled_network_interfaces: 'flat,noop', default_network_interface: 'flat' },
        // The flat interface checks that the cleaning and provisioning networks exist (resolved through Neutron).
        neutron: { ...keystone.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public', cleaning_network: 'provnet', provisioning_network: 'provnet' },
        glance: { ...keystone.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public' },
        anvil: { service_url: serviceUrl, timeout: 10 },
      },
    }),
  ]);
  mark('glance, placement, ironic');
  await keystone.addEndpoint('image', glance.url);
  await keystone.addEndpoint('placement', placement.url);
  await keystone.addEndpoint('baremetal', ironic.url);
  neutron = await NeutronServer.start(keystone, ironic.url, { database: pg.url.replace(/^postgres:/, 'postgresql+psycopg2:'), transportUrl: rabbit.transportUrl, physnet: PHYSNET });
  await keystone.addEndpoint('network', neutron.url);
  mark('neutron');
  nova = await NovaServer.start(keystone, { transportUrl: rabbit.transportUrl, conf: { DEFAULT: { default_ephemeral_format: 'ext3' } } });
  await keystone.addEndpoint('compute', nova.url);
  mark('nova');
  service = await startService(
    loadConfig(undefined, {
      ANVIL_LISTEN_PORT: String(servicePort),
      ANVIL_PUBLIC_URL: serviceUrl,
      ANVIL_DATA_DIR: join(work, 'service'),
      ANVIL_IRONIC_URL: ironic.url,
      ...keystone.driverServiceEnv(),
    }),
    { log: silentLogger(), watchIntervalMs: 500 },
  );
  token = await keystone.adminSession().token();
  process.stdout.write(`nova stack: started in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(stackStarted)}\n`);
}, 600_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await service?.close();
  await nova?.stop();
  await neutron?.stop();
  await ironic?.stop();
  await placement?.stop();
  await glance?.stop();
  await pg?.stop();
  await rabbit?.stop();
  await keystone?.stop();
  loops.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** The layout a flavor with the trait CUSTOM_ANVIL_FLAVORED gets: sizes and formats from the flavor. */
function flavoredLayout(dev: string): Record<string, unknown> {
  return {
    version: 1,
    // A rebuild with --preserve-ephemeral keeps the ephemeral disk's bytes (the disks must hold this layout then).
    policy: { data: '{{instance.data_policy}}' },
    disks: [{ id: 'd', select: { name: dev }, table: '{{instance.disk_label}}', partitions: [{ id: 'root', size: '{{instance.root_size}}' }, { id: 'swap', size: '{{instance.swap_size}}', type: 'swap' }, { id: 'eph', size: '{{instance.ephemeral_size}}', keep: '{{instance.preserve_ephemeral}}' }] }],
    filesystems: [
      { id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } },
      { id: 'fs-swap', device: 'swap', type: 'swap' },
      { id: 'fs-eph', device: 'eph', type: '{{instance.ephemeral_format}}', label: 'ephemeral0', mount: { path: '/mnt' } },
    ],
    images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
    configdrive: { disk: 'd', source: '{{configdrive}}' },
  };
}

interface Server {
  id: string;
  status: string;
  fault?: { message: string };
  'OS-EXT-SRV-ATTR:hypervisor_hostname'?: string;
}

describe('Nova on a bare-metal flavor, through Anvil', () => {
  it('deploys the trait’s layout sized by the flavor with Nova’s config drive, rebuilds keeping the ephemeral disk and onto a partition image, and delete returns the node to available; a root that cannot fit is refused', async () => {
    const dev = loops.create('nova', 2 * GiB + 256 * 1024 * 1024);
    for (const [name, plan] of [['flavored', flavoredLayout(dev)], ['partition-root', { ...flavoredLayout(dev), images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'filesystem', target: { device: 'root' } }] }]] as const) {
      const put = await fetch(`${service.url}/v1/layouts/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan }) });
      expect(put.status).toBe(200);
    }

    // The images: a small root tree as a tar in Glance, and a second one for the rebuilds.
    const rootImage = async (version: string): Promise<{ id: string; os_hash_value: string; tarball: string }> => {
      const tree = join(work, `tree-${version}`);
      mkdirSync(join(tree, 'etc'), { recursive: true });
      writeFileSync(join(tree, 'etc', 'anvil-nova-marker'), `deployed by Nova through Anvil: ${version}\n`);
      const tarball = join(work, `root-${version}.tar`);
      execFileSync(tool('tar'), ['-cf', tarball, '-C', tree, '.']);
      return { ...(await glance.upload(keystone.adminSession(), tarball, { name: `anvil-nova-root-${version}`, disk_format: 'raw', visibility: 'public' })), tarball };
    };
    const image = await rootImage('v1');
    const image2 = await rootImage('v2');
    expect(image.os_hash_value).toBe(createHash('sha512').update(readFileSync(image.tarball)).digest('hex'));

    // The provider network the node's port is on (flat, no DHCP: the fast variant has no PXE).
    const net = ok(await call<{ network: { id: string } }>(`${neutron.url}/v2.0/networks`, { method: 'POST', body: JSON.stringify({ network: { name: 'provnet', shared: true, 'provider:network_type': 'flat', 'provider:physical_network': PHYSNET } }) }), 'network create').network;
    ok(await call(`${neutron.url}/v2.0/subnets`, { method: 'POST', body: JSON.stringify({ subnet: { name: 'provsub', network_id: net.id, ip_version: 4, cidr: '192.0.2.0/24', gateway_ip: '192.0.2.1', enable_dhcp: false, allocation_pools: [{ start: '192.0.2.100', end: '192.0.2.200' }] } }) }), 'subnet create');

    // The key pair and the flavors: resource class, required trait, boot mode; 1 GiB root, 64 MiB swap, 1 GiB ephemeral.
    const keyFile = join(work, 'key');
    execFileSync(tool('ssh-keygen'), ['-q', '-t', 'ed25519', '-N', '', '-C', 'anvil-nova-key', '-f', keyFile]);
    const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    ok(await call(`${nova.url}/os-keypairs`, { method: 'POST', body: JSON.stringify({ keypair: { name: 'k1', public_key: publicKey } }) }, NOVA), 'keypair');
    const specs = { 'resources:CUSTOM_BAREMETAL': '1', 'resources:VCPU': '0', 'resources:MEMORY_MB': '0', 'resources:DISK_GB': '0', [`trait:${TRAIT}`]: 'required', 'capabilities:boot_mode': 'bios' };
    for (const [name, disk] of [['bm.flavored', 1], ['bm.huge', 64]] as const) {
      const flavor = ok(await call<{ flavor: { id: string } }>(`${nova.url}/flavors`, { method: 'POST', body: JSON.stringify({ flavor: { name, ram: 1024, vcpus: 2, disk, swap: 64, 'OS-FLV-EXT-DATA:ephemeral': 1 } }) }, NOVA), 'flavor').flavor;
      ok(await call(`${nova.url}/flavors/${flavor.id}/os-extra_specs`, { method: 'POST', body: JSON.stringify({ extra_specs: specs }) }, NOVA), 'extra specs');
    }

    // The node, as an operator enrolls it for Nova: resource class, trait, capabilities, a port on the physnet.
    const node = ok(await call<{ uuid: string }>(`${ironic.url}/v1/nodes`, { method: 'POST', body: JSON.stringify({ name: 'nova-node', driver: 'fake-hardware', deploy_interface: 'anvil', vendor_interface: 'anvil', boot_interface: 'fake', power_interface: 'fake', management_interface: 'fake', network_interface: 'flat', resource_class: 'baremetal', properties: { cpu_arch: 'x86_64', capabilities: 'boot_mode:bios', cpus: 2, memory_mb: 1024, local_gb: 2 } }) }, IRONIC), 'node create');
    ok(await call(`${ironic.url}/v1/ports`, { method: 'POST', body: JSON.stringify({ address: MAC, node_uuid: node.uuid, physical_network: PHYSNET }) }, IRONIC), 'port create');
    expect((await call(`${ironic.url}/v1/nodes/${node.uuid}/traits/${TRAIT}`, { method: 'PUT' }, IRONIC)).status).toBe(204);
    const adopted = await fetch(`${service.url}/v1/nodes/${node.uuid}/adopt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(adopted.status).toBe(200);
    const client = ironic.client();
    await client.setProvisionState(node.uuid, 'manage');
    await client.waitForProvisionState(node.uuid, ['manageable'], { timeoutMs: 60_000, intervalMs: 500 });
    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 500 });
    // fake-hardware has no power state until it is set once; Nova schedules only nodes with one.
    ok(await call(`${ironic.url}/v1/nodes/${node.uuid}/states/power`, { method: 'PUT', body: JSON.stringify({ target: 'power off' }) }, IRONIC), 'power off');
    const placementHeaders = { 'OpenStack-API-Version': 'placement 1.30' };
    await waitFor('the node in Placement with its resource class and trait', 180_000, async () => {
      const inv = await call<{ inventories?: Record<string, unknown> }>(`${placement.url}/resource_providers/${node.uuid}/inventories`, {}, placementHeaders);
      const traits = await call<{ traits?: string[] }>(`${placement.url}/resource_providers/${node.uuid}/traits`, {}, placementHeaders);
      return inv.body.inventories?.CUSTOM_BAREMETAL && traits.body.traits?.includes(TRAIT) ? true : undefined;
    }, 2000);
    await waitFor('the node’s baremetal agent alive in Neutron', 120_000, async () => {
      const agentsList = await call<{ agents: { host: string; alive: boolean }[] }>(`${neutron.url}/v2.0/agents?host=${node.uuid}`);
      return agentsList.body.agents?.some((a) => a.alive) ? true : undefined;
    }, 2000);

    // The tenant's command.
    const userData = join(work, 'user-data');
    writeFileSync(userData, '#cloud-config\nruncmd:\n  - [sh, -c, "echo ANVIL-NOVA-USER-DATA"]\n');
    const t0 = Date.now();
    const created = JSON.parse(openstack('server', 'create', '--flavor', 'bm.flavored', '--image', image.id, '--network', 'provnet', '--key-name', 'k1', '--config-drive', 'true', '--user-data', userData, 'srv1', '-f', 'json')) as { id: string };
    await waitFor('Ironic to wait for the agent', 180_000, async () => {
      const n = await client.getNode(node.uuid);
      if (n.provision_state === 'deploy failed') throw new Error(`deploy failed: ${String(n.last_error)}`);
      return n.provision_state === 'wait call-back' ? true : undefined;
    }, 1000);
    agents.push(await AgentProcess.start({ apiUrl: ironic.url, mac: MAC, disks: [dev], dir: join(work, 'agent') }));
    const active = await waitFor('the server ACTIVE', 300_000, async () => {
      const s = ok(await call<{ server: Server }>(`${nova.url}/servers/${created.id}`, {}, NOVA), 'server show').server;
      if (s.status === 'ERROR') throw new Error(`server ERROR: ${s.fault?.message ?? ''}\n${nova.logTail('nova-compute', 30)}`);
      return s.status === 'ACTIVE' ? s : undefined;
    }, 2000);
    const createToActive = (Date.now() - t0) / 1000;
    process.stdout.write(`nova: server create → ACTIVE in ${createToActive.toFixed(1)} s\n`);
    expect(active['OS-EXT-SRV-ATTR:hypervisor_hostname']).toBe(node.uuid);

    // What Nova wrote into instance_info, and what the driver-service made of it.
    const deployed = await client.getNode(node.uuid);
    expect(deployed).toMatchObject({ provision_state: 'active', instance_uuid: created.id });
    expect(deployed.instance_info).toMatchObject({ image_source: image.id, root_gb: '1', swap_mb: '64', ephemeral_gb: '1', ephemeral_format: 'ext3', traits: [TRAIT] });
    const deployment = (await (await fetch(`${service.url}/v1/deployments/${node.uuid}`)).json()) as { layout: string; state: string; via?: string };
    expect(deployment).toMatchObject({ layout: 'flavored', state: 'succeeded' });

    // On the disk: the flavor's sizes, the ephemeral file system Nova named, the image, and Nova's config drive.
    const table = JSON.parse(execFileSync(tool('sfdisk'), ['--json', dev], { encoding: 'utf8' })) as { partitiontable: { label: string; sectorsize?: number; partitions: { node: string; size: number }[] } };
    const parts = table.partitiontable.partitions;
    const sector = table.partitiontable.sectorsize ?? 512;
    expect(table.partitiontable.label).toBe('gpt');
    expect(parts.slice(0, 3).map((p) => p.size * sector)).toEqual([1 * GiB, 64 * 1024 * 1024, 1 * GiB]);
    const blkid = (p: string, tag: string): string => execFileSync(tool('blkid'), ['-p', '-o', 'value', '-s', tag, p], { encoding: 'utf8' }).trim();
    expect([blkid(parts[0]!.node, 'TYPE'), blkid(parts[1]!.node, 'TYPE'), blkid(parts[2]!.node, 'TYPE'), blkid(parts[2]!.node, 'LABEL')]).toEqual(['ext4', 'swap', 'ext3', 'ephemeral0']);
    const configDrive = parts.find((p) => blkid(p.node, 'LABEL') === 'config-2');
    expect(configDrive).toBeDefined();
    const cd = join(work, 'configdrive');
    mkdirSync(cd);
    execFileSync(tool('xorriso'), ['-osirrox', 'on', '-indev', `stdio:${configDrive!.node}`, '-extract', '/openstack/latest', cd], { stdio: 'ignore' });
    const meta = JSON.parse(readFileSync(join(cd, 'meta_data.json'), 'utf8')) as { uuid: string; hostname: string; public_keys: Record<string, string> };
    expect(meta).toMatchObject({ uuid: created.id, public_keys: { k1: publicKey } });
    const networkData = JSON.parse(readFileSync(join(cd, 'network_data.json'), 'utf8')) as { links: { ethernet_mac_address: string }[] };
    expect(networkData.links.map((l) => l.ethernet_mac_address)).toContain(MAC);
    expect(readFileSync(join(cd, 'user_data'), 'utf8')).toContain('ANVIL-NOVA-USER-DATA');
    const onPartition = <T>(part: string, rw: boolean, read: (dir: string) => T): T => {
      const mnt = mkdtempSync(join(work, 'mnt-'));
      execFileSync(tool('mount'), ['-o', rw ? 'rw' : 'ro', part, mnt]);
      try {
        return read(mnt);
      } finally {
        execFileSync(tool('umount'), [mnt]);
        rmSync(mnt, { recursive: true });
      }
    };
    expect(onPartition(parts[0]!.node, false, (m) => readFileSync(join(m, 'etc', 'anvil-nova-marker'), 'utf8'))).toBe('deployed by Nova through Anvil: v1\n');
    // The tenant's data on the ephemeral disk.
    const kept = onPartition(parts[2]!.node, true, (m) => {
      execFileSync(tool('dd'), ['if=/dev/urandom', `of=${join(m, 'keep.bin')}`, 'bs=1M', 'count=2', 'status=none']);
      return createHash('sha256').update(readFileSync(join(m, 'keep.bin'))).digest('hex');
    });

    // Rebuilds: with --preserve-ephemeral the ephemeral disk's bytes stay and the OS is the new image; without,
    // the ephemeral disk is made anew.
    const rebuild = async (args: string[], agentDir: string): Promise<number> => {
      const started = Date.now();
      openstack('server', 'rebuild', '--image', image2.id, ...args, created.id);
      await waitFor('Ironic to wait for the agent (rebuild)', 180_000, async () => {
        const n = await client.getNode(node.uuid);
        if (n.provision_state === 'deploy failed') throw new Error(`rebuild failed: ${String(n.last_error)}`);
        return n.provision_state === 'wait call-back' ? true : undefined;
      }, 1000);
      agents.push(await AgentProcess.start({ apiUrl: ironic.url, mac: MAC, disks: [dev], dir: join(work, agentDir) }));
      await waitFor('the server ACTIVE after the rebuild', 300_000, async () => {
        const n = await client.getNode(node.uuid);
        if (n.provision_state === 'deploy failed') throw new Error(`rebuild failed: ${String(n.last_error)}`);
        const s = ok(await call<{ server: Server }>(`${nova.url}/servers/${created.id}`, {}, NOVA), 'server show').server;
        if (s.status === 'ERROR') throw new Error(`server ERROR: ${s.fault?.message ?? ''}`);
        return s.status === 'ACTIVE' && n.provision_state === 'active' ? true : undefined;
      }, 2000);
      return (Date.now() - started) / 1000;
    };
    const preserving = await rebuild(['--preserve-ephemeral'], 'agent-rebuild-1');
    process.stdout.write(`nova: server rebuild --preserve-ephemeral → ACTIVE in ${preserving.toFixed(1)} s\n`);
    expect((await client.getNode(node.uuid)).instance_info).toMatchObject({ image_source: image2.id, preserve_ephemeral: expect.stringMatching(/^true$/i) });
    expect(onPartition(parts[0]!.node, false, (m) => readFileSync(join(m, 'etc', 'anvil-nova-marker'), 'utf8'))).toBe('deployed by Nova through Anvil: v2\n');
    expect(onPartition(parts[2]!.node, false, (m) => createHash('sha256').update(readFileSync(join(m, 'keep.bin'))).digest('hex'))).toBe(kept);
    // Without it, and onto a partition image (a file system image: Ironic's image_type partition): the image's
    // property anvil_layout picks the layout that writes it into the root partition, grown to the flavor's root.
    const fsTree = join(work, 'tree-partition');
    mkdirSync(join(fsTree, 'etc'), { recursive: true });
    writeFileSync(join(fsTree, 'etc', 'anvil-nova-marker'), 'deployed by Nova through Anvil: partition image\n');
    const fsImage = join(work, 'root.ext4');
    execFileSync(tool('mke2fs'), ['-q', '-t', 'ext4', '-L', 'imgroot', '-d', fsTree, fsImage, '32M']);
    const partitionImage = await glance.upload(keystone.adminSession(), fsImage, { name: 'anvil-nova-partition', disk_format: 'raw', visibility: 'public', img_type: 'partition', anvil_layout: 'partition-root' });
    const fresh = await rebuild(['--image', partitionImage.id], 'agent-rebuild-2');
    process.stdout.write(`nova: server rebuild onto a partition image → ACTIVE in ${fresh.toFixed(1)} s\n`);
    expect(await (await fetch(`${service.url}/v1/deployments/${node.uuid}`)).json()).toMatchObject({ layout: 'partition-root', state: 'succeeded' });
    expect([blkid(parts[0]!.node, 'TYPE'), blkid(parts[0]!.node, 'LABEL')]).toEqual(['ext4', 'imgroot']);
    expect(onPartition(parts[0]!.node, false, (m) => [readFileSync(join(m, 'etc', 'anvil-nova-marker'), 'utf8'), execFileSync(tool('df'), ['--output=size', '-B1M', m], { encoding: 'utf8' }).split('\n')[1]!.trim()])).toEqual(['deployed by Nova through Anvil: partition image\n', expect.stringMatching(/^(9[5-9]\d|10[0-2]\d)$/)]);
    expect(onPartition(parts[2]!.node, false, (m) => readdirSync(m).filter((f) => f !== 'lost+found'))).toEqual([]);

    // Delete: Nova tears the instance down, Ironic undeploys, the node is available again.
    const t1 = Date.now();
    openstack('server', 'delete', '--wait', created.id);
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 180_000, intervalMs: 1000 });
    process.stdout.write(`nova: server delete → node available in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    expect((await client.getNode(node.uuid)).instance_uuid ?? null).toBeNull();

    // A flavor whose 64 GiB root cannot fit the 2.25 GiB disk the agent reported: Anvil refuses it in the
    // validate Nova runs before the deploy, and the server goes to ERROR with no disk touched.
    const before = execFileSync(tool('sfdisk'), ['--dump', dev], { encoding: 'utf8' });
    await waitFor('the node schedulable again', 180_000, async () => {
      const inv = await call<{ usages?: Record<string, number> }>(`${placement.url}/resource_providers/${node.uuid}/usages`, {}, placementHeaders);
      return inv.body.usages && !inv.body.usages.CUSTOM_BAREMETAL ? true : undefined;
    }, 2000);
    const huge = JSON.parse(openstack('server', 'create', '--flavor', 'bm.huge', '--image', image.id, '--network', 'provnet', '--key-name', 'k1', '--config-drive', 'true', 'srv-huge', '-f', 'json')) as { id: string };
    const failed = await waitFor('the server ERROR', 300_000, async () => {
      const s = ok(await call<{ server: Server }>(`${nova.url}/servers/${huge.id}`, {}, NOVA), 'server show').server;
      return s.status === 'ERROR' ? s : s.status === 'ACTIVE' ? Promise.reject(new Error('a 64 GiB root went ACTIVE on a 2.25 GiB disk')) : undefined;
    }, 2000);
    const computeLog = nova.logTail('nova-compute', 400);
    process.stdout.write(`nova: bm.huge → ERROR: ${failed.fault?.message ?? ''}\n`);
    expect(computeLog).toMatch(/Anvil layout flavored \(trait CUSTOM_ANVIL_FLAVORED in instance_info\.traits\) does not fit node/);
    expect(execFileSync(tool('sfdisk'), ['--dump', dev], { encoding: 'utf8' })).toBe(before);
    expect((await client.getNode(node.uuid)).provision_state).toBe('available');
  }, 900_000);
});
