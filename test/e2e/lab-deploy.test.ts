import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IronicClient, IronicNodeT } from '@anvil/shared/openstack';
import { main } from '../../agent/src/cli/main';
import { bootstrapImage, type BuiltBootstrap } from '../helpers/bootstrap';
import { FileServer } from '../helpers/http-server';
import { waitFor } from '../helpers/ironic';
import { inLab, LAB_ADDR } from '../helpers/lab/network';
import { EmulatedServer } from '../helpers/lab/server';
import { LabStack } from '../helpers/lab/stack';
import { agentLines, consoleTimings, type ScenarioTimings } from '../helpers/lab/timings';
import { debianOsImage } from '../helpers/os-image';

/**
 * A real server, emulated. Ironic (`ipmi` hardware type) powers a QEMU machine through its BMC (ipmi_sim), sets
 * its boot device, and dnsmasq — fed by Ironic's `dnsmasq` DHCP provider — answers its firmware's DHCP; iPXE
 * boots Anvil's bootstrap image (built by `anvil bootstrap build`, imported and activated in the driver-service's
 * store). Automated cleaning erases the disks the harness dirtied; the deploy fetches the plan from the
 * metadata URL adoption wrote, downloads a real Debian image from Glance with its one-deploy credential, builds
 * RAID1 /boot + LVM on RAID1, writes the config drive and GRUB; Ironic boots the disk, and cloud-init reads the
 * config drive and prints a marker on the serial console. Runs inside the lab's network namespace
 * (scripts/e2e.sh); artefacts go to $ANVIL_ARTIFACTS.
 */
const ARTIFACTS = process.env.ANVIL_ARTIFACTS ?? '/var/tmp/anvil-artifacts';
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3l4k8dZ5l6l0j2Vv4pq4Q2mQb5Gq2m1l5xM3yZ0aBc anvil-lab-key';

let stack: LabStack;
let ironic: IronicClient;
let images: { live: BuiltBootstrap; initramfs: BuiltBootstrap };
let osImageId = '';
let osTar = '';
let bulk: BulkImage;
/** The plain-URL image server (the rebuild's image). */
const images2 = new FileServer();
const bootstrapUuids: Record<string, string> = {};
const servers: EmulatedServer[] = [];
const timings: ScenarioTimings[] = [];

async function anvil(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(['node', 'anvil', ...args], { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') });
  if (code !== 0) throw new Error(`anvil ${args.join(' ')} exited ${code}: ${err}${out}`);
  return out;
}

const service = (path: string, init?: RequestInit): Promise<Response> => fetch(`${stack.serviceUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });

/**
 * Two disks for RAID1: RAID1 /boot and a RAID1 PV for LVM (root, /srv), the config drive on d0. BIOS: a BIOS
 * boot partition and GRUB on both disks. UEFI: an ESP on each disk, d0's mounted at /boot/efi and d1's a copy of
 * it made by the boot loader step, so either disk boots alone.
 */
function raid1LvmLayout(firmware: 'bios' | 'uefi', variant: 'fresh' | 'keep-srv' | 'too-big' = 'fresh', bulk?: BulkImage): Record<string, unknown> {
  const first = (i: number): Record<string, string>[] => (firmware === 'bios' ? [{ id: `d${i}-bios`, size: '1MiB', type: 'bios_grub' }] : [{ id: `d${i}-esp`, size: '64MiB', type: 'esp' }]);
  return {
    version: 1,
    metadata: { name: `raid1-lvm-${firmware}${variant === 'fresh' ? '' : `-${variant}`}` },
    // keep-srv: the layout on the disks must be this one, and /srv's filesystem is kept as it is
    ...(variant === 'keep-srv' ? { policy: { data: 'verify' } } : {}),
    disks: [
      ...[0, 1].map((i) => ({
        id: `d${i}`,
        select: { serial: `anvil-disk${i}` },
        partitions: [...first(i), { id: `d${i}-boot`, size: '256MiB', type: 'raid' }, { id: `d${i}-pv`, size: 'remaining', type: 'raid' }],
      })),
      ...(bulk ? [{ id: 'd2', select: { serial: 'anvil-disk2' }, table: 'none' }] : []),
    ],
    raids: [
      { id: 'md-boot', name: 'boot', level: 1, metadata: '1.0', members: ['d0-boot', 'd1-boot'] },
      { id: 'md-sys', name: 'sys', level: 1, members: ['d0-pv', 'd1-pv'] },
    ],
    volume_groups: [{ id: 'vg', name: 'sys', pvs: ['md-sys'], logical_volumes: [{ id: 'lv-root', name: 'root', size: variant === 'too-big' ? '64GiB' : '1280MiB' }, { id: 'lv-srv', name: 'srv', size: '64MiB' }] }],
    filesystems: [
      ...(firmware === 'uefi' ? [{ id: 'fs-esp', device: 'd0-esp', type: 'vfat', label: 'ESP', mount: { path: '/boot/efi' } }, { id: 'fs-esp1', device: 'd1-esp', type: 'vfat', label: 'ESP1' }] : []),
      { id: 'fs-boot', device: 'md-boot', type: 'ext4', mount: { path: '/boot' } },
      { id: 'fs-root', device: 'lv-root', type: 'ext4', mount: { path: '/' } },
      { id: 'fs-srv', device: 'lv-srv', type: 'ext4', label: 'srv', mount: { path: '/srv' }, ...(variant === 'keep-srv' ? { keep: true } : {}) },
    ],
    images: [
      { id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } },
      // The memory scenario: a qcow2 ten times the machine's RAM onto its own disk, streamed in one pass.
      ...(bulk ? [{ id: 'bulk', source: { url: bulk.url }, checksum: `sha256:${bulk.sha256}`, format: 'qcow2', target: { disk: 'd2' } }] : []),
    ],
    configdrive: { disk: 'd0', source: '{{configdrive}}' },
    bootloader: { firmware, targets: ['d0', 'd1'], kernel_params: ['console=ttyS0,115200'] },
  };
}

interface BulkImage {
  readonly file: string;
  readonly url: string;
  /** Of the qcow2 file. */
  readonly sha256: string;
  /** Of the guest disk it holds (BULK_VIRTUAL_MIB). */
  readonly guestSha256: string;
}

/** The UEFI server's RAM, and the qcow2 image ten times larger it deploys (issue: a 1 GiB node, a 10 GiB image). */
const SMALL_NODE_MIB = 1024;
const BULK_VIRTUAL_MIB = 10 * 1024;
const BULK_DATA_MIB = 1152;

/**
 * A qcow2 of BULK_VIRTUAL_MIB with BULK_DATA_MIB of random data in 8 MiB runs spread over it (more data than the
 * node has RAM: nothing can be staged), cached under /var/tmp/anvil-os with its checksums.
 */
function bulkImage(): Omit<BulkImage, 'url'> {
  const dir = '/var/tmp/anvil-os/bulk-v1';
  const meta = join(dir, 'bulk.json');
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as Omit<BulkImage, 'url'>;
  mkdirSync(dir, { recursive: true });
  const raw = join(dir, 'bulk.raw');
  writeFileSync(raw, '');
  truncateSync(raw, BULK_VIRTUAL_MIB * 1024 * 1024);
  const runs = BULK_DATA_MIB / 8;
  const stride = Math.floor(BULK_VIRTUAL_MIB / runs);
  const fd = openSync(raw, 'r+');
  for (let i = 0; i < runs; i++) writeSync(fd, randomBytes(8 << 20), 0, 8 << 20, i * stride * 1024 * 1024);
  closeSync(fd);
  const file = join(dir, 'bulk.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, file]);
  const out = { file, sha256: diskDigest(file), guestSha256: diskDigest(raw) };
  rmSync(raw);
  writeFileSync(meta, JSON.stringify(out));
  return out;
}

/** Old signatures an erase must remove: a GPT with a partition, an ext4 and an LVM PV label on disk0, an ext4 on disk1. */
function dirty(server: EmulatedServer): void {
  execFileSync('sgdisk', ['-n', '1:2048:+64M', '-t', '1:8300', server.disk(0)], { stdio: 'ignore' });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'old-data', '-E', `offset=${2048 * 512}`, server.disk(0), '65536'], { stdio: 'ignore' });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'old-disk1', server.disk(1), '65536'], { stdio: 'ignore' });
}

/** The signatures wipefs finds on a disk image (and on the partitions its table names). */
/** The files of a disk image's first partition (an ESP) with their sha256, read from the host with mtools. */
function espFiles(disk: string): Record<string, string> {
  const start = (JSON.parse(execFileSync('sfdisk', ['--json', disk], { encoding: 'utf8' })) as { partitiontable: { partitions: Array<{ start: number }> } }).partitiontable.partitions[0]!.start;
  const img = `${disk}@@${start * 512}`;
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const scratch = mkdtempSync(join(stack.dir, 'esp-'));
  try {
    const names = execFileSync('mdir', ['-i', img, '-/', '-b', '::/'], { encoding: 'utf8', env }).split('\n').map((l) => l.trim()).filter((l) => l && !l.endsWith('/'));
    return Object.fromEntries(
      names.map((name, k) => {
        execFileSync('mcopy', ['-n', '-i', img, name, join(scratch, String(k))], { env });
        return [name.replace(/^::/, ''), createHash('sha256').update(readFileSync(join(scratch, String(k)))).digest('hex')];
      }),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function signatures(file: string): string[] {
  const out = execFileSync('wipefs', ['--no-act', '--json', file], { encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as { signatures: { type: string }[] }).signatures.map((s) => s.type) : [];
}

/**
 * The BIOS server is enrolled as a stock Ironic operator would (`ipmi`, `custom-agent`); the UEFI server with
 * the conductor plugin (`anvil-ipmi`, `--deploy-interface anvil`).
 */
const DRIVERS = { bios: { driver: 'ipmi', deploy_interface: 'custom-agent' }, uefi: { driver: 'anvil-ipmi', deploy_interface: 'anvil' } } as const;

async function enroll(server: EmulatedServer, firmware: 'bios' | 'uefi'): Promise<IronicNodeT> {
  const node = await ironic.createNode({
    name: server.o.name,
    ...DRIVERS[firmware],
    boot_interface: 'ipxe',
    driver_info: server.driverInfo(),
    properties: { cpus: 2, memory_mb: 3072, local_gb: 2, capabilities: `boot_mode:${firmware}` },
  });
  await ironic.createPort(node.uuid, server.mac, { pxe_enabled: true });
  await ironic.setProvisionState(node.uuid, 'manage');
  await ironic.waitForProvisionState(node.uuid, ['manageable'], { timeoutMs: 120_000, intervalMs: 1000 });
  return node;
}

async function waitState(uuid: string, targets: string[], minutes: number): Promise<IronicNodeT> {
  const node = await ironic.waitForProvisionState(uuid, targets, { timeoutMs: minutes * 60_000, intervalMs: 2000 }).catch(async (err: unknown) => {
    const n = await ironic.getNode(uuid);
    throw new Error(`${err instanceof Error ? err.message : String(err)}; node ${n.provision_state}, last_error ${String(n.last_error)}`);
  });
  return node;
}

/**
 * The config drive `baremetal node deploy --config-drive` sends: cloud-init sets the hostname and the SSH key
 * from meta_data, and user_data's runcmd prints what the test checks on the serial console — the instance id,
 * the hostname, the key, the /srv device, the image's release file and the digest of a file under /srv (written
 * on the first boot, only read on later ones) — then powers the machine off.
 */
function configDrive(uuid: string, hostname: string): Record<string, unknown> {
  const report = [
    'test -e /srv/keep.bin || head -c 1048576 /dev/urandom > /srv/keep.bin',
    'echo "ANVIL-CLOUD-INIT-DONE uuid=$(cat /var/lib/cloud/data/instance-id) host=$(hostname)' +
      ' keys=$(cat /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys 2>/dev/null | grep -c anvil-lab-key)' +
      ' srv=$(findmnt -n -o SOURCE /srv) release=$(cat /etc/anvil-image-release 2>/dev/null || echo none)' +
      ' keep=$(sha256sum /srv/keep.bin | cut -c1-64)" > /dev/ttyS0',
  ].join('; ');
  return {
    meta_data: { uuid, hostname, name: hostname, public_keys: { 'anvil-lab': SSH_KEY } },
    user_data: ['#cloud-config', 'runcmd:', `  - [sh, -c, '${report}']`, '  - [systemctl, --no-block, poweroff]', ''].join('\n'),
  };
}

const MARKER = /ANVIL-CLOUD-INIT-DONE uuid=(\S+) host=(\S+) keys=(\d+) srv=(\S+) release=(\S+) keep=([0-9a-f]{64})/;

/** Writes one artefact under $ANVIL_ARTIFACTS, making its folder first (the folder need not exist yet). */
function artifact(rel: string, text: string): void {
  const path = join(ARTIFACTS, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function saveArtifacts(): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack?.collect(ARTIFACTS);
  for (const s of servers) {
    artifact(join('console', `${s.o.name}.log`), s.consoleText());
    artifact(join('bmc', `${s.o.name}.log`), s.bmcEvents().map((e) => `${(e.at / 1000).toFixed(3)} ${e.event}`).join('\n') + '\n');
  }
  artifact('timings.json', JSON.stringify(timings, null, 2) + '\n');
}

beforeAll(async () => {
  if (!inLab()) throw new Error('the lab suite runs inside the lab network namespace: `npm run e2e` (scripts/e2e.sh) sets it up');
  const [live, initramfs, os] = await Promise.all([bootstrapImage('live'), bootstrapImage('initramfs'), debianOsImage()]);
  images = { live, initramfs };
  stack = await LabStack.start();
  ironic = stack.ironicClient();
  // Bootstrap images into the service's store, as an operator does: import both, activate one.
  for (const [format, image] of Object.entries(images)) {
    await anvil('bootstrap', 'import', image.archive, '--store', stack.bootstrapStore);
    bootstrapUuids[format] = image.metadata.uuid;
  }
  // The OS image in Glance: a tar of the root, deployed by a layout that says so.
  osTar = os.tar;
  const tar = readFileSync(os.tar);
  const glanceImage = await stack.glance.upload(stack.keystone.serviceSession(), os.tar, { name: 'debian-12-anvil-lab', disk_format: 'raw', visibility: 'public' });
  expect(glanceImage.os_hash_value).toBe(createHash('sha512').update(tar).digest('hex'));
  osImageId = glanceImage.id;
  await images2.start(LAB_ADDR);
  const b = bulkImage();
  bulk = { ...b, url: images2.add('/bulk.qcow2', b.file) };
  const layouts: [string, Record<string, unknown>][] = [
    ['raid1-lvm-bios', raid1LvmLayout('bios')],
    ['raid1-lvm-uefi', raid1LvmLayout('uefi', 'fresh', bulk)],
    ['raid1-lvm-bios-keep-srv', raid1LvmLayout('bios', 'keep-srv')],
    ['too-big', raid1LvmLayout('bios', 'too-big')],
  ];
  for (const [name, plan] of layouts) {
    const res = await service(`/v1/layouts/${name}`, { method: 'PUT', body: JSON.stringify({ plan, description: `lab: RAID1 /boot + LVM root (${name})` }) });
    if (res.status >= 300) throw new Error(`layout ${name}: ${res.status} ${await res.text()}`);
  }
}, 3_600_000);

/** The deploy-log tarballs Ironic collected for a node ([agent] deploy_logs_collect = always, local storage). */
function deployLogs(nodeUuid: string): string[] {
  const dir = join(stack.ironic.dir, 'deploy-logs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(nodeUuid)) : [];
}

afterAll(async () => {
  saveArtifacts();
  await images2.stop();
  for (const s of servers) await s.stop();
  await stack?.stop();
});

/** The lab's second OS image, for the rebuild: the first with /etc/anvil-image-release added, served by URL. */
function secondImage(tar: string): { file: string; sha256: string } {
  const file = tar.replace(/\.tar\.zst$/, '-v2.tar.zst');
  if (!existsSync(file)) {
    const work = mkdtempSync(join(dirname(tar), 'v2-'));
    try {
      mkdirSync(join(work, 'root/etc'), { recursive: true });
      writeFileSync(join(work, 'root/etc/anvil-image-release'), 'lab-v2\n');
      execFileSync('sh', ['-c', `zstd -dc "$1" > "$2/os.tar" && tar -rf "$2/os.tar" --numeric-owner --owner=0 --group=0 -C "$2/root" ./etc/anvil-image-release && zstd -q -T0 -3 "$2/os.tar" -o "$2/os-v2.tar.zst"`, 'sh', tar, work]);
      renameSync(join(work, 'os-v2.tar.zst'), file);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

function diskDigest(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).slice(0, 64);
}

/** Deploys (or rebuilds) and follows the node to active and the deployed OS to cloud-init's marker. */
async function deployAndBoot(server: EmulatedServer, node: IronicNodeT, o: { scenario: string; firmware: 'bios' | 'uefi'; bootstrap: string; target: 'active' | 'rebuild'; instanceUuid: string; hostname: string }): Promise<RegExpExecArray> {
  const mark = server.consoleMark();
  const t0 = Date.now();
  await ironic.setProvisionState(node.uuid, o.target, { configdrive: configDrive(o.instanceUuid, o.hostname) });
  const active = await waitState(node.uuid, ['active', 'deploy failed'], 25);
  if (active.provision_state !== 'active') throw new Error(`${o.scenario}: ${active.provision_state}: ${String(active.last_error)}\n--- console ---\n${server.consoleText(mark).slice(-4000)}`);
  const activeAt = Date.now();
  expect(active.last_error ?? null).toBeNull();
  const { match, at } = await server.waitForConsole('cloud-init’s marker', MARKER, 15 * 60_000, mark);
  const t = consoleTimings({ scenario: o.scenario, firmware: o.firmware, bootstrap: o.bootstrap, console: server.consoleText(mark), bmc: server.bmcEvents().filter((e) => e.at >= t0), requestedAt: t0, activeAt, markerAt: at });
  timings.push(t);
  process.stdout.write(`lab ${o.scenario} ${o.firmware}: ${JSON.stringify(t)}\n`);
  await waitFor('the deployed OS to power off', 300_000, async () => (server.poweredOn() ? undefined : true), 2000);
  return match;
}

/**
 * The first deploy of a cleaned node: the Glance image, a new instance; cloud-init's marker must show the
 * instance, the hostname, the key, /srv on its LV and the first image (no release file). Returns the marker.
 */
async function firstDeploy(server: EmulatedServer, node: IronicNodeT, firmware: 'bios' | 'uefi', bootstrap: string): Promise<RegExpExecArray> {
  await ironic.patchNode(node.uuid, [{ op: 'add', path: '/instance_info/image_source', value: osImageId }]);
  const plugin = DRIVERS[firmware].deploy_interface === 'anvil';
  if (plugin) {
    // baremetal node validate: the plugin asked the service, which checked the layout (the Glance image filled in).
    const v = (await (await fetch(`${stack.ironic.url}/v1/nodes/${node.uuid}/validate`, { headers: { 'X-OpenStack-Ironic-API-Version': '1.82' } })).json()) as Record<string, { result: boolean | null; reason: string | null }>;
    expect(v.deploy).toMatchObject({ result: true });
  }
  const uuid = randomUUID();
  const hostname = `lab-${firmware}`;
  const m = await deployAndBoot(server, node, { scenario: 'enroll-to-active', firmware, bootstrap, target: 'active', instanceUuid: uuid, hostname });
  expect(m.slice(1, 6)).toEqual([uuid, hostname, expect.stringMatching(/^[1-9]/), '/dev/mapper/sys-srv', 'none']);
  const done = (await ironic.getNode(node.uuid)) as unknown as { driver_internal_info: Record<string, unknown> };
  // The agent told Ironic which bootstrap it runs from; the plugin kept the deploy's progress on the node.
  expect(String(done.driver_internal_info.agent_version)).toMatch(new RegExp(`^anvil-\\d+\\.\\d+\\.\\d+\\+bootstrap\\.${bootstrapUuids[bootstrap]!}$`));
  if (plugin) expect(done.driver_internal_info.anvil_progress).toMatchObject({ state: 'succeeded', bootstrap_uuid: bootstrapUuids[bootstrap] });
  return m;
}

/** Creates the server, dirties its disks, enrolls and adopts it, and cleans it to available. */
async function enrollAndClean(o: { firmware: 'bios' | 'uefi'; bootstrap: 'live' | 'initramfs'; tap: number }): Promise<{ server: EmulatedServer; node: IronicNodeT }> {
  await anvil('bootstrap', 'activate', bootstrapUuids[o.bootstrap]!, '--service', stack.serviceUrl);
  // The UEFI server is the small one: 1 GiB of RAM, booted from the live bootstrap (its root a squashfs, held
  // compressed in RAM; the initramfs format unpacks ~600 MB into RAM and does not boot in 1 GiB: the kernel
  // panics with "No working init found"), and a third disk for the qcow2 ten times that.
  const small = o.firmware === 'uefi';
  const server = await EmulatedServer.create({ name: `lab-${o.firmware}`, tap: o.tap, firmware: o.firmware, disksMiB: small ? [2048, 2048, BULK_VIRTUAL_MIB + 64] : [2048, 2048], ...(small ? { memoryMiB: SMALL_NODE_MIB } : {}), dir: join(stack.dir, `server-${o.firmware}`) });
  servers.push(server);
  dirty(server);
  expect(signatures(server.disk(0))).toEqual(expect.arrayContaining(['gpt', 'PMBR']));
  expect(signatures(server.disk(1))).toEqual(['ext4']);
  const node = await enroll(server, o.firmware);
  await anvil('node', 'adopt', node.uuid, '--service', stack.serviceUrl, '--layout', `raid1-lvm-${o.firmware}`);
  const adopted = await ironic.getNode(node.uuid);
  expect(String(adopted.driver_info?.deploy_ramdisk)).toContain(bootstrapUuids[o.bootstrap]!);
  expect(adopted.deploy_interface).toBe(DRIVERS[o.firmware].deploy_interface); // adoption keeps the plugin's interface
  const t0 = Date.now();
  await ironic.setProvisionState(node.uuid, 'provide');
  await waitState(node.uuid, ['available'], 20);
  process.stdout.write(`lab ${o.firmware}: cleaning (provide → available) ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  expect(signatures(server.disk(0))).toEqual([]);
  expect(signatures(server.disk(1))).toEqual([]);
  return { server, node };
}

describe('emulated server, BIOS (initramfs bootstrap): enroll → clean → deploy → rebuild keeping /srv → undeploy → a plan the disks cannot hold', () => {
  let server: EmulatedServer;
  let node: IronicNodeT;
  let kept = '';

  it('enrolls over IPMI, adopts, and cleans the dirtied disks with Anvil’s erase step', async () => {
    ({ server, node } = await enrollAndClean({ firmware: 'bios', bootstrap: 'initramfs', tap: 0 }));
  }, 1_500_000);

  it('deploys from Glance onto RAID1 + LVM, boots the disk, and cloud-init reads the config drive', async () => {
    kept = (await firstDeploy(server, node, 'bios', 'initramfs'))[6]!;
  }, 2_400_000);

  it('rebuilds with a layout that keeps /srv and a new image by URL: the file under /srv is unchanged, the OS is new', async () => {
    const v2 = secondImage(osTar);
    const url = images2.add('/debian-12-anvil-lab-v2.tar.zst', v2.file);
    await ironic.patchNode(node.uuid, [
      { op: 'add', path: '/instance_info/image_source', value: url },
      { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
      { op: 'add', path: '/instance_info/image_os_hash_value', value: v2.sha256 },
      { op: 'add', path: '/instance_info/anvil_layout', value: 'raid1-lvm-bios-keep-srv' },
    ]);
    const uuid = randomUUID();
    const m = await deployAndBoot(server, node, { scenario: 'rebuild-keep-srv', firmware: 'bios', bootstrap: 'initramfs', target: 'rebuild', instanceUuid: uuid, hostname: 'lab-bios-2' });
    expect(m.slice(1, 7)).toEqual([uuid, 'lab-bios-2', expect.stringMatching(/^[1-9]/), '/dev/mapper/sys-srv', 'lab-v2', kept]);
  }, 2_400_000);

  it('undeploys: cleaning tears down the arrays and volume group, erases the disks, and the node is available again', async () => {
    const t0 = Date.now();
    const mark = server.consoleMark();
    await ironic.setProvisionState(node.uuid, 'deleted');
    await waitState(node.uuid, ['available'], 20);
    process.stdout.write(`lab bios: undeploy (deleted → available) ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // the deploy's MD members (both arrays on both disks) lost their superblocks, its LVs their mappings
    const ran = agentLines(server.consoleText(mark));
    const done = (re: RegExp): string[] => ran.filter((l) => l.exitCode === 0 && re.test(l.cmd ?? '')).map((l) => l.cmd!);
    expect(new Set(done(/^mdadm --zero-superblock --force \/dev\/vd[ab]\d+$/)).size).toBeGreaterThanOrEqual(4);
    expect(done(/^dmsetup remove --retry sys-(root|srv)$/).length).toBeGreaterThanOrEqual(2);
    expect(signatures(server.disk(0))).toEqual([]);
    expect(signatures(server.disk(1))).toEqual([]);
  }, 1_500_000);

  it('refuses a plan the disks cannot hold: deploy failed with the code and pointer, logs collected, disks untouched', async () => {
    const before = [diskDigest(server.disk(0)), diskDigest(server.disk(1))];
    // undeploy cleared instance_info: the image and the layout are set again, as a user would
    await ironic.patchNode(node.uuid, [
      { op: 'add', path: '/instance_info/image_source', value: osImageId },
      { op: 'add', path: '/instance_info/anvil_layout', value: 'too-big' },
    ]);
    const logsBefore = deployLogs(node.uuid).length;
    await ironic.setProvisionState(node.uuid, 'active', { configdrive: configDrive(randomUUID(), 'lab-bios-big') });
    // (the client's wait treats a failed state as an error: here it is the expected end)
    const failed = await waitFor('the deploy to end', 20 * 60_000, async () => {
      const n = await ironic.getNode(node.uuid);
      return n.provision_state === 'deploy failed' || n.provision_state === 'active' ? n : undefined;
    }, 2000);
    expect(failed.provision_state).toBe('deploy failed');
    // the agent's message, with its catalogued code and the JSON pointer of what does not fit
    // e.g. "the plan is not valid for this machine; nothing was touched: error …:1:815 /volume_groups/0/logical_volumes
    // size.does_not_fit: logical volumes of "vg" need 64.06 GiB but it has 1.67 GiB … [provision.invalid_plan]"
    expect(String(failed.last_error)).toMatch(/nothing was touched.* \/volume_groups\/0\/logical_volumes size\.does_not_fit: .*\[provision\.invalid_plan\]/);
    process.stdout.write(`lab bios: a plan too big: ${String(failed.last_error)}\n`);
    await waitFor('the deploy logs of the failed deploy', 120_000, async () => (deployLogs(node.uuid).length > logsBefore ? true : undefined), 2000);
    // Ironic leaves a node whose agent deploy failed running its ramdisk (for a look at it); the operator powers it off
    await ironic.setPowerState(node.uuid, 'power off');
    await waitFor('the failed node to be powered off', 300_000, async () => (server.poweredOn() ? undefined : true), 2000);
    expect([diskDigest(server.disk(0)), diskDigest(server.disk(1))]).toEqual(before);
  }, 1_800_000);
});

describe('emulated server, UEFI (live bootstrap), a 1 GiB node: enroll → clean → deploy', () => {
  let server: EmulatedServer;
  let node: IronicNodeT;

  it('enrolls over IPMI, adopts, and cleans the dirtied disks with Anvil’s erase step', async () => {
    ({ server, node } = await enrollAndClean({ firmware: 'uefi', bootstrap: 'live', tap: 1 }));
  }, 1_500_000);

  it('deploys from Glance with an ESP, OVMF boots the disk, and cloud-init reads the config drive; on 1 GiB of RAM, a 10 GiB qcow2 onto the third disk', async () => {
    await firstDeploy(server, node, 'uefi', 'live');
    // The qcow2's guest disk is on the third disk, byte for byte.
    expect(execFileSync('sh', ['-c', `head -c ${BULK_VIRTUAL_MIB * 1024 * 1024} "$1" | sha256sum`, 'sh', server.disk(2)], { encoding: 'utf8' }).slice(0, 64)).toBe(bulk.guestSha256);
    // What the agent took, from its own log in the deploy logs Ironic collected.
    const logs = deployLogs(node.uuid).map((f) => join(stack.ironic.dir, 'deploy-logs', f));
    const lines = logs.flatMap((f) => execFileSync('tar', ['-xzOf', f, './anvil-agent.log'], { encoding: 'utf8' }).split('\n'));
    const figures = lines.map((l) => (l.includes('provisioned: the memory it took') ? (JSON.parse(l) as { peak_rss_bytes: number; mem_total_bytes: number; mem_available_bytes: number }) : undefined)).filter((f) => f !== undefined);
    expect(figures.length).toBeGreaterThan(0);
    const m = figures.at(-1)!;
    const line = `lab uefi memory: a ${BULK_VIRTUAL_MIB} MiB qcow2 (${BULK_DATA_MIB} MiB of data, ${(statSync(bulk.file).size / 1048576).toFixed(0)} MiB file) on a node with ${(m.mem_total_bytes / 1048576).toFixed(0)} MiB of RAM: agent peak RSS ${(m.peak_rss_bytes / 1048576).toFixed(0)} MiB, ${(m.mem_available_bytes / 1048576).toFixed(0)} MiB available at the end`;
    process.stdout.write(`${line}\n`);
    artifact('memory.txt', `${line}\n${JSON.stringify(m)}\n`);
    expect(m.mem_total_bytes).toBeLessThan(SMALL_NODE_MIB * 1048576);
    expect(statSync(bulk.file).size).toBeGreaterThan(m.mem_total_bytes); // the image cannot have been staged in RAM
    expect(m.peak_rss_bytes).toBeLessThan(150e6);
  }, 2_400_000);

  it('has an ESP on each boot disk: the second a copy of the first, and the second disk boots the deployed OS alone', async () => {
    // cloud-init's runcmd powered the machine off after its marker
    await waitFor('the UEFI server to power off', 180_000, () => Promise.resolve(server.poweredOn() ? undefined : true), 1000);
    const first = espFiles(server.disk(0));
    const second = espFiles(server.disk(1));
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['/EFI/BOOT/BOOTX64.EFI', '/EFI/anvil/grubx64.efi']));
    expect(second).toEqual(first);
    // The first disk removed: fresh firmware variables (no boot entry), the second disk behind an overlay.
    // Booted: firmware, GRUB from d1's ESP, the kernel and initramfs from the degraded RAID1 /boot, and the root on
    // LVM on the degraded RAID1 mounted, where cloud-init runs (seen at ~120 s under TCG; the login prompt comes later).
    const alone = await server.bootDiskAlone(1, /Cloud-init v\. \S+ running 'init'|lab-uefi login:/, 15 * 60_000);
    process.stdout.write(`lab uefi: disk1 alone booted its root (cloud-init running) in ${alone.seconds.toFixed(1)} s\n`);
    artifact(join('console', 'lab-uefi-disk1-alone.log'), alone.console);
    expect(alone.console).toMatch(/Cloud-init v\. \S+ running 'init'|lab-uefi login:/);
  }, 1_200_000);
});
