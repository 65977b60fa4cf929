import { prepareVm, runVm, guestScript, type VmRun } from '../helpers/vm';

/**
 * RAID and LVM need a kernel with MD and device-mapper, which the host does not have: these scenarios run
 * the agent inside a QEMU VM on virtio disks, as it runs in the bootstrap ramdisk.
 */
interface LsblkDev {
  name: string;
  type: string;
  size: number;
  fstype: string | null;
  label: string | null;
  children?: LsblkDev[];
}

function flatten(devs: LsblkDev[]): LsblkDev[] {
  return devs.flatMap((d) => [d, ...flatten(d.children ?? [])]);
}

function expectOk(run: VmRun): void {
  if (run.rc !== 0) throw new Error(`guest failed (rc ${String(run.rc)}) after ${run.seconds.toFixed(0)} s:\n${run.console.slice(-6000)}`);
}

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

describe('agent in a VM: RAID, LVM, thin, and dirty disks', () => {
  let run: VmRun;

  beforeAll(async () => {
    prepareVm();
    run = await runVm('storage', {
      disks: [1024, 1024, 768, 768],
      files: { 'raid1-lvm.json': JSON.stringify(raid1Lvm), 'raid10.json': JSON.stringify(raid10), 'run.sh': guestScript(['raid1-lvm.json', 'raid10.json']) },
    });
  });

  it('provisions RAID1 /boot + LVM (with thin) on RAID1, then tears it all down for a RAID10 over the same disks', () => {
    expectOk(run);
    for (const k of ['events-0', 'events-1']) {
      const last = run.out[k]!.trim().split('\n').pop()!;
      expect(JSON.parse(last)).toMatchObject({ type: 'done', result: 'ok' });
    }
  });

  it('the first plan ran every storage step', () => {
    const kinds = run.out['events-0']!.trim().split('\n').map((l) => JSON.parse(l) as { type: string; kind?: string; status?: string }).filter((e) => e.type === 'stage' && e.status === 'start').map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['create_array', 'create_pv', 'create_vg', 'create_lv', 'mkfs', 'mount', 'write_fstab']));
  });

  it('leaves a RAID10 over the four disks, and nothing of the old arrays and volume group', () => {
    const mdstat = run.out.mdstat!;
    expect(mdstat).toMatch(/md\S* : active raid10 vd[a-d]\[\d\] vd[a-d]\[\d\] vd[a-d]\[\d\] vd[a-d]\[\d\]/);
    expect(mdstat.match(/: active/g)).toHaveLength(1);
    expect(run.out.lvs ?? '').not.toContain('"vg_name":"sys"');
    const devs = flatten((JSON.parse(run.out.lsblk!) as { blockdevices: LsblkDev[] }).blockdevices);
    const data = devs.find((d) => d.type === 'raid10')!;
    expect(devs.filter((d) => d.type === 'part')).toEqual([]);
    // No udev in the ramdisk, so filesystems are read with blkid rather than lsblk.
    const blocks = run.out.blkid!.trim().split(/\n\s*\n/).map((b) => Object.fromEntries(b.trim().split('\n').map((l) => l.split('=') as [string, string])));
    expect(blocks.find((b) => b.DEVNAME === `/dev/${data.name}`)).toMatchObject({ TYPE: 'ext4', LABEL: 'data' });
    expect(blocks.filter((b) => b.TYPE === 'linux_raid_member' || b.TYPE === 'LVM2_member').map((b) => b.DEVNAME).sort()).toEqual(['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd']);
  });
});
