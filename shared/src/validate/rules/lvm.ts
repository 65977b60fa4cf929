import { parseSize, KiB } from '../../size/units';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';
import { checkContainerSizes } from './partitions';

const LVM_NAME_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;
const RESERVED = ['snapshot', 'pvmove'];
const RESERVED_PARTS = ['_cdata', '_cmeta', '_corig', '_mlog', '_mimage', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vorigin', '_vdata'];

function checkName(ctx: RuleContext, name: string, path: Path, what: string): void {
  const bad =
    !LVM_NAME_RE.test(name) || name === '.' || name === '..' || RESERVED.includes(name) || RESERVED_PARTS.some((r) => name.includes(r));
  if (bad) ctx.rb.add('lvm.name_invalid', path, `"${name}" is not a valid ${what} name`);
}

export function checkVolumeGroups(ctx: RuleContext): void {
  const { plan, rb } = ctx;
  const vgNames = new Set<string>();
  (plan.volume_groups ?? []).forEach((vg, i) => {
    const base: Path = ['volume_groups', i];
    checkName(ctx, vg.name, [...base, 'name'], 'volume group');
    if (vgNames.has(vg.name)) rb.add('lvm.name_duplicate', [...base, 'name'], `volume group name "${vg.name}" is used twice`);
    vgNames.add(vg.name);
    if (vg.extent_size !== undefined) {
      const e = parseSize(vg.extent_size);
      if (e?.kind === 'bytes' && (e.bytes < KiB || (e.bytes & (e.bytes - 1n)) !== 0n)) {
        rb.add('lvm.extent_size_invalid', [...base, 'extent_size'], `${e.bytes} bytes is not a power of two of at least 1 KiB`);
      }
    }
    const lvs = vg.logical_volumes ?? [];
    const lvNames = new Set<string>();
    lvs.forEach((lv, j) => {
      const lp: Path = [...base, 'logical_volumes', j];
      checkName(ctx, lv.name, [...lp, 'name'], 'logical volume');
      if (lvNames.has(lv.name)) rb.add('lvm.name_duplicate', [...lp, 'name'], `"${vg.name}" already has a logical volume "${lv.name}"`);
      lvNames.add(lv.name);
      const type = lv.type ?? 'linear';
      if (type === 'thin') {
        if (lv.pool === undefined) rb.add('lvm.pool_missing', lp, `thin volume "${lv.id}" needs a pool`);
        if (parseSize(lv.size)?.kind === 'remaining') rb.add('size.remaining_not_allowed', [...lp, 'size'], 'a thin volume has a virtual size: give bytes or a percentage of its pool');
      } else if (lv.pool !== undefined) {
        rb.add('lvm.pool_on_non_thin', [...lp, 'pool'], `only thin volumes name a pool; "${lv.id}" is ${type}`);
      }
    });
    checkContainerSizes(ctx, lvs.map((lv) => ((lv.type ?? 'linear') === 'thin' ? undefined : lv)), [...base, 'logical_volumes'], `volume group "${vg.id}"`);
  });
}
