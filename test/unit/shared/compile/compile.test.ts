import { compilePlan, compileValidated, renderActions, validatePlan, type CompiledPlan } from '@anvil/shared';
import { examples } from '../../../helpers/examples';
import { withPlan } from '../../../helpers/plans';

const GiB = 1024 ** 3;

function compileOk(plan: unknown, inventory: unknown): CompiledPlan {
  const r = compilePlan(plan, { inventory });
  if (!r.compiled) throw new Error(JSON.stringify(r.report.entries));
  return r.compiled;
}

describe('compile', () => {
  const all = examples();

  it('has the documented examples', () => {
    expect(all.map((e) => e.name)).toEqual(
      expect.arrayContaining(['single-disk-uefi', 'raid1-boot-lvm-bios', 'raid10-data', 'keep-srv', 'mbr-logical']),
    );
  });

  for (const ex of all) {
    it(`compiles ${ex.name} to the same commands every time`, () => {
      const first = compileOk(ex.planText, ex.inventory);
      const second = compileOk(ex.planText, ex.inventory);
      expect(second).toEqual(first);
      expect(renderActions(first)).toMatchSnapshot();
    });

    it(`never names an untouched disk in ${ex.name}`, () => {
      const c = compileOk(ex.planText, ex.inventory);
      for (const disk of c.untouchable) {
        const re = new RegExp(`${disk}(p?\\d+)?(\\s|$)`);
        for (const a of c.actions) for (const cmd of a.commands) expect(cmd.argv.join(' ')).not.toMatch(re);
      }
    });
  }

  it('in verify mode tears down and wipes nothing, and keeps kept filesystems', () => {
    const ex = all.find((e) => e.name === 'keep-srv')!;
    const c = compileOk(ex.planText, ex.inventory);
    const kinds = c.actions.map((a) => a.kind);
    expect(kinds).not.toContain('teardown');
    expect(kinds).not.toContain('wipe');
    expect(kinds).not.toContain('create_table');
    expect(kinds).toContain('verify_table');
    expect(c.actions.filter((a) => a.kind === 'mkfs').map((a) => a.id)).not.toContain('fs-srv');
    const fstab = c.actions.find((a) => a.kind === 'write_fstab');
    expect(fstab?.kind === 'write_fstab' && fstab.content).toContain('{uuid:fs-srv} /srv xfs');
  });

  it('in verify mode assembles an array only when it is not assembled already (a ramdisk with udev has done it at boot)', () => {
    const ex = all.find((e) => e.name === 'raid1-boot-lvm-bios')!;
    const plan = { ...(JSON.parse(ex.planText) as Record<string, unknown>), policy: { data: 'verify' } };
    const assembles = compileOk(plan, ex.inventory).actions.filter((a) => a.kind === 'assemble_array');
    expect(assembles.map((a) => a.id)).toEqual(['md-boot', 'md-sys']);
    for (const a of assembles) {
      expect(a.commands).toHaveLength(1);
      expect(a.commands[0]!.argv.slice(0, 4)).toEqual(['mdadm', '--assemble', '--run', a.kind === 'assemble_array' ? a.device : '']);
      expect(a.commands[0]!.when).toEqual({ missing: [a.kind === 'assemble_array' ? a.device : ''] });
    }
  });

  it('orders actions: teardown, wipe, partitions, arrays, LVM, images, mkfs, mounts, fstab, boot loader, unmount', () => {
    const ex = all.find((e) => e.name === 'raid1-boot-lvm-bios')!;
    const kinds = compileOk(ex.planText, ex.inventory).actions.map((a) => a.kind);
    const firstOf = (k: string): number => kinds.indexOf(k as never);
    const order = ['teardown', 'wipe', 'create_table', 'create_partition', 'create_array', 'create_pv', 'create_vg', 'create_lv', 'write_image', 'mkfs', 'mount', 'write_fstab', 'install_bootloader', 'unmount'];
    const positions = order.map(firstOf);
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('uses the deployment id as the seed of filesystem UUIDs', () => {
    const plan = withPlan((p) => (p.metadata = { deployment_id: 'dep-1' }));
    const inv = { disks: [{ name: '/dev/sda', size: 20 * GiB }] };
    const a = compileOk(plan, inv);
    const b = compileOk(withPlan((p) => (p.metadata = { deployment_id: 'dep-2' })), inv);
    const uuid = (c: CompiledPlan): string[] => c.actions.flatMap((x) => (x.kind === 'mkfs' ? [x.uuid] : []));
    expect(uuid(a)).toHaveLength(2);
    expect(uuid(a)).not.toEqual(uuid(b));
    expect(uuid(a)).toEqual(uuid(compileOk(plan, inv)));
  });

  it('names partitions of NVMe and loop devices with a "p"', () => {
    const c = compileOk(withPlan((p) => (p.disks[0]!.select = { name: 'nvme0n1' })), { disks: [{ name: '/dev/nvme0n1', size: 20 * GiB }] });
    expect(c.actions.filter((a) => a.kind === 'mkfs').map((a) => (a.kind === 'mkfs' ? a.device : ''))).toEqual(['/dev/nvme0n1p1', '/dev/nvme0n1p2']);
  });

  it('refuses to compile an invalid plan or one without inventory', () => {
    const bad = validatePlan(withPlan((p) => (p.filesystems![0]!.device = 'nope')));
    expect(() => compileValidated(bad)).toThrow(expect.objectContaining({ code: 'compile.invalid_plan' }));
    const noInv = validatePlan(withPlan(() => undefined));
    expect(() => compileValidated(noInv)).toThrow(expect.objectContaining({ code: 'compile.no_inventory' }));
    const r = compilePlan(withPlan((p) => (p.filesystems![0]!.device = 'nope')), { inventory: { disks: [] } });
    expect(r.compiled).toBeUndefined();
    expect(r.report.valid).toBe(false);
  });
});
