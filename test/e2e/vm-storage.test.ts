import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapImage, type BuiltBootstrap } from '../helpers/bootstrap';
import { FileServer } from '../helpers/http-server';
import { consoleEvents, diskPath, HOST_FROM_GUEST, runVm, vmDiskDir, type VmRun } from '../helpers/vm';

/**
 * RAID, LVM and thin pools need a kernel with MD and device-mapper, which the host does not have: these
 * scenarios boot the built bootstrap image (initramfs format) in a QEMU VM on virtio disks, provisioning
 * standalone (`anvil.plan=` on the kernel command line, the image's anvil-standalone.service), once per plan
 * over the same disks. What the second plan left is read from the disk images on the host afterwards.
 */
const raid1Lvm = {
  version: 1,
  disks: [0, 1].map((i) => ({
    id: `d${i}`,
    select: { serial: `anvil-disk${i}` },
    partitions: [
      { id: `d${i}-bios`, size: '1MiB', type: 'bios_grub' },
      { id: `d${i}-boot`, size: '128MiB', type: 'raid' },
      { id: `d${i}-pv`, size: 'remaining', type: 'raid' },
    ],
  })),
  raids: [
    { id: 'md-boot', name: 'boot', level: 1, metadata: '1.0', members: ['d0-boot', 'd1-boot'] },
    { id: 'md-sys', name: 'sys', level: 1, members: ['d0-pv', 'd1-pv'] },
  ],
  volume_groups: [
    {
      id: 'vg',
      name: 'sys',
      pvs: ['md-sys'],
      logical_volumes: [
        { id: 'lv-root', name: 'root', size: '400MiB' },
        { id: 'lv-pool', name: 'pool', size: '200MiB', type: 'thin-pool' },
        { id: 'lv-thin', name: 'thin', size: '1GiB', type: 'thin', pool: 'lv-pool' },
        { id: 'lv-swap', name: 'swap', size: '64MiB' },
      ],
    },
  ],
  filesystems: [
    { id: 'fs-boot', device: 'md-boot', type: 'ext4', label: 'boot', mount: { path: '/boot' } },
    { id: 'fs-root', device: 'lv-root', type: 'xfs', label: 'root', mount: { path: '/' } },
    { id: 'fs-thin', device: 'lv-thin', type: 'ext4', label: 'thin', mount: { path: '/srv' } },
    { id: 'fs-swap', device: 'lv-swap', type: 'swap' },
  ],
};

/** Four whole disks in a RAID10, reusing the same disks the first plan left with md + LVM on them. */
const raid10 = {
  version: 1,
  disks: [0, 1, 2, 3].map((i) => ({ id: `d${i}`, select: { serial: `anvil-disk${i}` }, table: 'none' })),
  raids: [{ id: 'md-data', name: 'data', level: 10, chunk: '64KiB', members: ['d0', 'd1', 'd2', 'd3'] }],
  filesystems: [{ id: 'fs-data', device: 'md-data', type: 'ext4', label: 'data', mount: { path: '/' } }],
};

const DISKS = [1024, 1024, 768, 768];
const files = new FileServer();
const work = mkdtempSync(join(tmpdir(), 'anvil-vm-storage-'));
const disks = vmDiskDir('storage');
let image: BuiltBootstrap;
const runs: VmRun[] = [];

function expectProvisioned(run: VmRun): Array<Record<string, unknown>> {
  const events = consoleEvents(run.console);
  const done = events.filter((e) => e.type === 'done');
  if (!run.exited || done.length !== 1 || done[0]!.result !== 'ok') throw new Error(`the guest did not provision (${run.exited ? 'powered off' : 'timed out'} after ${run.seconds.toFixed(0)} s):\n${run.console.slice(-6000)}`);
  return events;
}

const examine = (i: number): string => execFileSync('mdadm', ['--examine', diskPath(disks.dir, i)], { encoding: 'utf8' });
const field = (text: string, name: string): string | undefined => new RegExp(`^\\s*${name} : (.*)$`, 'm').exec(text)?.[1]?.trim();

beforeAll(async () => {
  image = await bootstrapImage('initramfs');
  for (const [name, plan] of [['raid1-lvm.json', raid1Lvm], ['raid10.json', raid10]] as const) {
    writeFileSync(join(work, name), JSON.stringify(plan));
    files.add(`/${name}`, join(work, name));
  }
  await files.start();
  const port = new URL(files.url('/')).port;
  for (const plan of ['raid1-lvm.json', 'raid10.json']) {
    const append = [image.metadata.extend_kopts, 'console=ttyS0,115200 quiet loglevel=3 panic=-1', `anvil.plan=http://${HOST_FROM_GUEST}:${port}/${plan}`, 'anvil.after=poweroff anvil.after_failure=poweroff'].filter(Boolean).join(' ');
    runs.push(await runVm(`storage-${plan}`, { disks: DISKS, diskDir: disks.dir, kernel: image.files.linux, initramfs: image.files.initramfs, append, timeoutSeconds: 900 }));
    if (runs.at(-1)!.exited === false) break;
  }
}, 2_100_000);

afterAll(async () => {
  await files.stop();
  disks.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('the bootstrap image provisioning standalone in a VM: RAID, LVM, thin, and dirty disks', () => {
  it('boots the image, fetches the first plan over HTTP and provisions RAID1 /boot + LVM (with thin) on RAID1, running every storage step', () => {
    const events = expectProvisioned(runs[0]!);
    const kinds = events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['create_array', 'create_pv', 'create_vg', 'create_lv', 'mkfs', 'mount', 'write_fstab']));
    expect(files.hits.filter((h) => h.path === '/raid1-lvm.json').length).toBeGreaterThanOrEqual(1);
    // a standalone boot starts no agent: nothing looks for an Ironic API
    expect(runs[0]!.console).not.toContain('agent.no_api_url');
    expect(runs[0]!.console).toMatch(/anvil standalone: provisioned http:\/\/10\.0\.2\.2:\d+\/raid1-lvm\.json; poweroff/);
  });

  it('boots again with the second plan, tears down the arrays and volume group it finds, and builds a RAID10 over the four disks', () => {
    const events = expectProvisioned(runs[1]!);
    const kinds = events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['create_array', 'mkfs']));
    expect(kinds).not.toContain('create_vg');
  });

  it('leaves, as read from the disk images on the host, one RAID10 over the four whole disks with ext4 "data" on it, and nothing of the old tables, arrays or volume group', () => {
    const sb = DISKS.map((_, i) => examine(i));
    expect(sb.map((t) => field(t, 'Raid Level'))).toEqual(['raid10', 'raid10', 'raid10', 'raid10']);
    expect(sb.map((t) => field(t, 'Raid Devices'))).toEqual(['4', '4', '4', '4']);
    expect(new Set(sb.map((t) => field(t, 'Array UUID'))).size).toBe(1);
    expect(field(sb[0]!, 'Name')).toMatch(/:data\b|^data\b/);
    expect(field(sb[0]!, 'Chunk Size')).toBe('64K');
    for (let i = 0; i < DISKS.length; i++) {
      const probe = execFileSync('blkid', ['-p', '-o', 'export', diskPath(disks.dir, i)], { encoding: 'utf8' });
      expect(probe).toContain('TYPE=linux_raid_member');
      expect(probe).not.toContain('PTTYPE=');
    }
    // The array's first chunk (with the ext4 superblock) is on the device in role 0, at the data offset.
    const first = sb.findIndex((t) => field(t, 'Device Role') === 'Active device 0');
    const offsetSectors = Number(/^(\d+)/.exec(field(sb[first]!, 'Data Offset') ?? '')?.[1]);
    const fs = execFileSync('blkid', ['-p', '-o', 'export', '-O', String(offsetSectors * 512), diskPath(disks.dir, first)], { encoding: 'utf8' });
    expect(fs).toContain('TYPE=ext4');
    expect(fs).toContain('LABEL=data');
    // The first plan's LVM lived inside md-sys on partition 3: that partition table is gone, and with it the PV.
    expect(execFileSync('sh', ['-c', `sfdisk --dump ${diskPath(disks.dir, 0)} 2>&1 || true`], { encoding: 'utf8' })).not.toMatch(/type=|start=/);
  });
});
