import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertBareon, convertNailgun, validatePlan } from '@anvil/shared';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '../../../fixtures/convert', name), 'utf8')) as unknown;
const inventory = fixture('inventory.json');

type AnyPlan = {
  policy?: { data?: string };
  disks: Array<{ id: string; select: Record<string, unknown>; partitions: Array<{ id: string; size: string; type?: string }> }>;
  raids?: Array<{ id: string; level: number; members: string[] }>;
  volume_groups?: Array<{ name: string; pvs: string[]; pv_metadata_size?: string; logical_volumes: Array<{ name: string; size: string }> }>;
  filesystems?: Array<{ id: string; device: string; type: string; mount?: { path: string; options?: string[] }; label?: string; keep?: boolean }>;
  images?: Array<{ source: { url?: string }; compression?: string; format: string; target: { device: string } }>;
  bootloader?: { firmware: string; targets: string[]; kernel_params?: string[] };
};

describe('convert --from nailgun', () => {
  const { plan, warnings } = convertNailgun(fixture('nailgun-provision.json'));
  const p = plan as unknown as AnyPlan;

  it('produces a plan that validates against the inventory', () => {
    const v = validatePlan(plan, { inventory });
    expect(v.report.entries.filter((e) => e.severity === 'error')).toEqual([]);
  });

  it('adds Fuel’s implicit bios_grub and UEFI partitions and skips unused disks', () => {
    expect(p.disks.map((d) => d.id)).toEqual(['sda', 'sdb']);
    for (const d of p.disks) {
      expect(d.partitions[0]).toMatchObject({ size: '24MiB', type: 'bios_grub' });
      expect(d.partitions[1]).toMatchObject({ size: '200MiB', type: 'esp' });
    }
    expect(p.disks[0]!.select).toEqual({ by_id: 'ata-XYZ' });
    expect(p.disks[1]!.select).toEqual({ by_path: 'pci-0000:00:1f.2-ata-2' });
    expect(warnings.map((w) => w.pointer)).toContain('/ks_meta/pm_data/ks_spaces/2');
  });

  it('puts /boot on a plain partition of the first disk only, as Fuel did', () => {
    const boot = p.filesystems!.find((f) => f.mount?.path === '/boot')!;
    expect(boot.type).toBe('ext2');
    expect(p.disks[0]!.partitions.map((x) => x.id)).toContain(boot.device);
    expect(p.raids).toBeUndefined();
  });

  it('builds the volume group from PVs on every disk, with sizes in MiB', () => {
    expect(p.volume_groups).toHaveLength(1);
    const vg = p.volume_groups![0]!;
    expect(vg.name).toBe('os');
    expect(vg.pvs).toHaveLength(2);
    expect(vg.pv_metadata_size).toBe('28MiB');
    expect(vg.logical_volumes.map((l) => [l.name, l.size])).toEqual([
      ['root', '25000MiB'],
      ['swap', '4000MiB'],
    ]);
    expect(p.filesystems!.find((f) => f.type === 'swap')!.mount).toBeUndefined();
  });

  it('turns image_data into a gzip filesystem image on the root device, kernel params into GRUB', () => {
    const root = p.filesystems!.find((f) => f.mount?.path === '/')!;
    expect(p.images).toEqual([expect.objectContaining({ format: 'filesystem', compression: 'gzip', target: { device: root.device } })]);
    expect(p.bootloader).toEqual({ firmware: 'bios', targets: ['sda', 'sdb'], kernel_params: ['console=ttyS0,115200', 'nomodeset'] });
  });

  it('rejects input that is not a provision.json', () => {
    expect(() => convertNailgun({ ks_meta: {} })).toThrow(expect.objectContaining({ code: 'convert.invalid_input' }));
  });

  it('maps keep_data to the verify policy', () => {
    const src = fixture('nailgun-provision.json') as { ks_meta: { pm_data: { ks_spaces: Array<{ volumes: Array<Record<string, unknown>> }> } } };
    src.ks_meta.pm_data.ks_spaces[0]!.volumes[3]!.keep_data = true;
    const out = convertNailgun(src).plan as unknown as AnyPlan;
    expect(out.policy).toEqual({ data: 'verify' });
    expect(out.filesystems!.find((f) => f.mount?.path === "/srv")!.keep).toBe(true);
  });
});

describe('convert --from bareon', () => {
  const { plan } = convertBareon(fixture('bareon-deploy-config.json'));
  const p = plan as unknown as AnyPlan;

  it('produces a plan that validates against the inventory', () => {
    const v = validatePlan(plan, { inventory });
    expect(v.report.entries.filter((e) => e.severity === 'error')).toEqual([]);
  });

  it('keeps the policy, selectors and the implicit bios_grub', () => {
    expect(p.policy).toEqual({ data: 'clean' });
    expect(p.disks.map((d) => d.select)).toEqual([{ by_path: 'pci-0000:00:05.0-scsi-0:0:0:0' }, { name: 'sdb' }, { name: 'sdc' }]);
    for (const d of p.disks) expect(d.partitions[0]).toMatchObject({ size: '24MiB', type: 'bios_grub' });
  });

  it('assembles raid volumes with the same mount into one RAID1', () => {
    expect(p.raids).toHaveLength(1);
    expect(p.raids![0]).toMatchObject({ level: 1 });
    expect(p.raids![0]!.members).toHaveLength(2);
    const srv = p.filesystems!.find((f) => f.mount?.path === '/srv')!;
    expect(srv.device).toBe(p.raids![0]!.id);
    expect(p.disks[1]!.partitions[1]).toMatchObject({ size: '50%', type: 'raid' });
  });

  it('keeps sizes as bareon wrote them and fstab options as mount options', () => {
    const vg = p.volume_groups![0]!;
    expect(vg.logical_volumes.map((l) => l.size)).toEqual(['40 GiB', 'remaining']);
    expect(p.filesystems!.find((f) => f.mount?.path === '/var')!.mount!.options).toEqual(['noatime']);
  });

  it('turns the image into a filesystem image onto the root device', () => {
    const root = p.filesystems!.find((f) => f.mount?.path === '/')!;
    expect(p.images![0]).toMatchObject({ source: { url: 'http://swift.example/v1/images/centos.img' }, target: { device: root.device } });
    expect(p.bootloader).toMatchObject({ targets: ['pci-0000-00-05.0-scsi-0-0-0-0', 'sdb', 'sdc'], kernel_params: ['console=ttyS0'] });
  });

  it('under verify keeps filesystems by default and skips images onto kept ones', () => {
    const src = fixture('bareon-deploy-config.json') as Record<string, unknown>;
    src.partitions_policy = 'verify';
    const out = convertBareon(src);
    const fsList = (out.plan as unknown as { filesystems: Array<{ keep?: boolean }> }).filesystems;
    expect(fsList.every((f) => f.keep === true)).toBe(true);
    expect((out.plan as { images?: unknown }).images).toBeUndefined();
    expect(validatePlan(out.plan, { inventory }).report.valid).toBe(true);
  });
});
