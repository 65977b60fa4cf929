import { planTeardown, type BlockNode } from '@anvil/agent';

const node = (name: string, kind: BlockNode['kind'], extra: Partial<BlockNode> = {}): BlockNode => ({ name, kind, holders: [], slaves: [], mountpoints: [], swap: false, ...extra });

function tree(...nodes: BlockNode[]): Map<string, BlockNode> {
  return new Map(nodes.map((n) => [n.name, n]));
}

describe('teardown planning (pure)', () => {
  // sda1+sdb1 → md0 (mounted /boot); sda2+sdb2 → md1 → LVM PV → vg-root (mounted /), vg-swap (swap)
  const dirty = tree(
    node('sda', 'disk'),
    node('sdb', 'disk'),
    node('sdc', 'disk'),
    node('sda1', 'part', { parent: 'sda', holders: ['md0'] }),
    node('sdb1', 'part', { parent: 'sdb', holders: ['md0'] }),
    node('sda2', 'part', { parent: 'sda', holders: ['md1'] }),
    node('sdb2', 'part', { parent: 'sdb', holders: ['md1'] }),
    node('md0', 'md', { slaves: ['sda1', 'sdb1'], mountpoints: ['/target/boot'] }),
    node('md1', 'md', { slaves: ['sda2', 'sdb2'], holders: ['dm-0', 'dm-1'] }),
    node('dm-0', 'dm', { slaves: ['md1'], mountpoints: ['/target', '/target/var/lib'], dmUuid: 'LVM-abc', dmName: 'vg-root' }),
    node('dm-1', 'dm', { slaves: ['md1'], swap: true, dmUuid: 'LVM-def', dmName: 'vg-swap' }),
  );

  it('stops holders before what they hold: unmount, swapoff, LVs, arrays, then signatures', () => {
    const steps = planTeardown(dirty, ['sda', 'sdb']).map((s) => `${s.op} ${'mountpoint' in s ? s.mountpoint : s.device}`);
    expect(steps).toEqual([
      'umount /target/boot',
      'md-stop /dev/md0',
      'md-zero /dev/sda1',
      'md-zero /dev/sdb1',
      'umount /target/var/lib',
      'umount /target',
      'lvm-deactivate /dev/mapper/vg-root',
      'swapoff /dev/mapper/vg-swap',
      'lvm-deactivate /dev/mapper/vg-swap',
      'md-stop /dev/md1',
      'md-zero /dev/sda2',
      'md-zero /dev/sdb2',
      'wipe-signatures /dev/sda1',
      'wipe-signatures /dev/sda2',
      'wipe-signatures /dev/sdb1',
      'wipe-signatures /dev/sdb2',
    ]);
  });

  it('refuses when a holder also sits on a disk the plan does not name', () => {
    expect(() => planTeardown(dirty, ['sda'])).toThrow(expect.objectContaining({ code: 'teardown.foreign_holder', details: expect.objectContaining({ holder: 'md0', disks: ['sdb'] }) }));
  });

  it('does nothing for a clean disk but erase partition signatures, and never looks at other disks', () => {
    const t = tree(node('sda', 'disk'), node('sda1', 'part', { parent: 'sda' }), node('sdc', 'disk', { mountpoints: ['/'] }), node('sdc1', 'part', { parent: 'sdc', mountpoints: ['/home'] }));
    expect(planTeardown(t, ['sda'])).toEqual([{ op: 'wipe-signatures', device: '/dev/sda1' }]);
  });

  it('tears down a holder spanning two named disks from the first one', () => {
    const steps = planTeardown(dirty, ['sda'], ['sda', 'sdb']).map((s) => s.op);
    expect(steps).toContain('md-stop');
    expect(planTeardown(dirty, ['sda'], ['sda', 'sdb']).filter((s) => s.op === 'md-zero').map((s) => s.device)).toEqual(['/dev/sda1', '/dev/sdb1', '/dev/sda2', '/dev/sdb2']);
  });

  it('refuses an unknown disk', () => {
    expect(() => planTeardown(dirty, ['sdz'])).toThrow(expect.objectContaining({ code: 'teardown.unknown_disk' }));
  });

  it('removes plain device-mapper holders with dmsetup', () => {
    const t = tree(node('sda', 'disk'), node('sda1', 'part', { parent: 'sda', holders: ['dm-2'] }), node('dm-2', 'dm', { slaves: ['sda1'], dmUuid: 'CRYPT-LUKS2-x', dmName: 'cr' }));
    expect(planTeardown(t, ['sda'])[0]).toEqual({ op: 'dm-remove', device: '/dev/mapper/cr', dmName: 'cr' });
  });
});
