import { Inventory, geometryOf, type DiskGeometry, type InventoryDiskT, type InventoryT } from '../../inventory/schema';
import { diskMatches, minimumSize, parseSizeHint } from '../../inventory/select';
import { DEFAULT_ALIGNMENT } from '../../layout/partitions';
import { parseSize } from '../../size/units';
import type { ReportBuilder } from '../../report/report';
import type { RuleContext } from './context';

export interface Resolution {
  readonly resolved: ReadonlyMap<string, InventoryDiskT>;
  readonly geometries: ReadonlyMap<string, DiskGeometry>;
  readonly untouchable: readonly string[];
}

export function parseInventory(raw: unknown, rb: ReportBuilder): InventoryT | undefined {
  const r = Inventory.safeParse(raw);
  if (r.success) return r.data;
  for (const issue of r.error.issues) rb.add('inventory.invalid', '', `inventory ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return undefined;
}

/** Without an inventory, a size hint that bounds the disk from below still lets sizes be checked. */
export function hintGeometries(ctx: RuleContext): Map<string, DiskGeometry> {
  const out = new Map<string, DiskGeometry>();
  for (const d of ctx.plan.disks) {
    const min = d.select.size === undefined ? undefined : minimumSize(parseSizeHint(d.select.size));
    if (min !== undefined && min > 0n) out.set(d.id, { size: min, logicalSector: 512n, physicalSector: 512n });
  }
  return out;
}

/** Resolves every selector to exactly one real disk; every other disk becomes untouchable. */
export function resolveInventory(ctx: RuleContext, inventory: InventoryT): Resolution {
  const { plan, rb } = ctx;
  const resolved = new Map<string, InventoryDiskT>();
  const geometries = new Map<string, DiskGeometry>();
  const claimedBy = new Map<string, string>();
  plan.disks.forEach((d, i) => {
    const matches = inventory.disks.filter((inv) => diskMatches(d.select, inv));
    if (matches.length === 0) {
      rb.add('inventory.no_match', ['disks', i, 'select'], `no disk matches the selector of "${d.id}" (inventory has ${inventory.disks.map((x) => x.name).join(', ') || 'no disks'})`);
      return;
    }
    if (matches.length > 1) {
      rb.add('inventory.ambiguous', ['disks', i, 'select'], `${matches.length} disks match the selector of "${d.id}": ${matches.map((x) => x.name).join(', ')}`);
      return;
    }
    const disk = matches[0]!;
    const prior = claimedBy.get(disk.name);
    if (prior) {
      rb.add('inventory.same_disk', ['disks', i, 'select'], `"${d.id}" selects ${disk.name}, which "${prior}" already selects`);
      return;
    }
    claimedBy.set(disk.name, d.id);
    resolved.set(d.id, disk);
    if (disk.read_only) rb.add('inventory.read_only', ['disks', i, 'select'], `${disk.name} is read-only`);
    if (disk.removable) rb.add('inventory.removable', ['disks', i, 'select'], `${disk.name} is removable`);
    const geo = geometryOf(disk);
    geometries.set(d.id, geo);
    const alignSpec = d.alignment === undefined ? undefined : parseSize(d.alignment);
    const align = alignSpec?.kind === 'bytes' ? alignSpec.bytes : DEFAULT_ALIGNMENT;
    if (align % geo.physicalSector !== 0n && align % geo.logicalSector === 0n) {
      rb.add('inventory.alignment_physical', ['disks', i, d.alignment === undefined ? 'select' : 'alignment'], `alignment ${align} is not a multiple of the ${geo.physicalSector}-byte physical sector of ${disk.name}`);
    }
  });
  const untouchable = inventory.disks.map((x) => x.name).filter((n) => !claimedBy.has(n));
  return { resolved, geometries, untouchable };
}
