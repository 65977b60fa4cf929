import type { DiskGeometry } from '../inventory/schema';
import { ceilDiv, formatBytes, MiB, parseSize, percentOf, type SizeSpec } from '../size/units';
import type { PlanModel } from '../model/model';
import type { ReportBuilder } from '../report/report';
import { layoutDisk, partitionBytes, type DiskLayout } from './partitions';
import { arrayBytes, DEFAULT_CHUNK, memberDataBytes, type RaidLevel } from './raid';
import { pvExtents, thinPoolOverheadExtents } from './lvm';

export interface VgLayout {
  readonly extent: bigint;
  readonly totalExtents: bigint;
  /** Extents of each linear LV and thin pool (data only); thin volumes are virtual. */
  readonly lvExtents: ReadonlyMap<string, bigint>;
}

export interface Capacity {
  readonly layouts: ReadonlyMap<string, DiskLayout>;
  /** Bytes of every block device whose size could be computed. */
  readonly sizes: ReadonlyMap<string, bigint>;
  readonly vgs: ReadonlyMap<string, VgLayout>;
}

const DEFAULT_EXTENT = 4n * MiB;

function fixed(v: number | string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  const s = parseSize(v);
  return s?.kind === 'bytes' ? s.bytes : undefined;
}

/**
 * Computes, from the disks' geometry, the size of every device of the plan: partitions (exact sectors),
 * arrays (after superblocks), volume groups (after PV metadata) and logical volumes. Whatever does not
 * fit is reported. Disks without geometry leave their devices unsized; nothing is guessed.
 */
export function computeCapacity(
  model: PlanModel,
  geometries: ReadonlyMap<string, DiskGeometry>,
  configdrive: { disk: string; bytes: bigint } | undefined,
  rb: ReportBuilder,
): Capacity {
  const { plan } = model;
  const layouts = new Map<string, DiskLayout>();
  const sizes = new Map<string, bigint>();
  const vgs = new Map<string, VgLayout>();

  plan.disks.forEach((disk, i) => {
    const geo = geometries.get(disk.id);
    if (!geo) return;
    if ((disk.table ?? 'gpt') === 'none') {
      sizes.set(disk.id, geo.size);
      return;
    }
    const cdBytes = configdrive?.disk === disk.id ? configdrive.bytes : undefined;
    const layout = layoutDisk(disk, ['disks', i], geo, cdBytes, rb);
    if (!layout) return;
    layouts.set(disk.id, layout);
    for (const p of layout.partitions) if (p.role !== 'extended') sizes.set(p.id, partitionBytes(p, layout.sector));
  });

  // Arrays may stack on arrays: size them in rounds until nothing changes.
  const raids = plan.raids ?? [];
  for (let round = 0; round <= raids.length; round++) {
    let progress = false;
    raids.forEach((r, i) => {
      if (sizes.has(r.id)) return;
      const memberSizes = r.members.map((m) => sizes.get(m));
      if (memberSizes.some((s) => s === undefined)) return;
      const known = memberSizes as bigint[];
      const metadata = r.metadata ?? '1.2';
      const level = r.level as RaidLevel;
      const chunk = fixed(r.chunk) ?? DEFAULT_CHUNK;
      const smallest = known.reduce((a, b) => (b < a ? b : a));
      const largest = known.reduce((a, b) => (b > a ? b : a));
      if (level !== 'linear' && largest - smallest > largest / 100n) {
        rb.add('raid.member_size_mismatch', ['raids', i, 'members'], `members of "${r.id}" range from ${formatBytes(smallest)} to ${formatBytes(largest)}; the array uses ${formatBytes(smallest)} of each`);
      }
      if (metadata === '0.90' && largest > 2n * 1024n * 1024n * MiB) {
        rb.add('raid.metadata_limit', ['raids', i, 'metadata'], `metadata 0.90 supports members up to 2 TiB; "${r.id}" has ${formatBytes(largest)}`);
      }
      const data = memberDataBytes(smallest, metadata);
      let bytes: bigint;
      if (level === 'linear') bytes = known.reduce((a, s) => a + memberDataBytes(s, metadata), 0n);
      else bytes = arrayBytes(level, known.length, data, chunk);
      if (bytes <= 0n) {
        rb.add('size.does_not_fit', ['raids', i, 'members'], `members of "${r.id}" are too small to hold the MD superblock and data`);
        return;
      }
      sizes.set(r.id, bytes);
      progress = true;
    });
    if (!progress) break;
  }

  (plan.volume_groups ?? []).forEach((vg, i) => {
    const extent = fixed(vg.extent_size) ?? DEFAULT_EXTENT;
    if (extent <= 0n) return;
    const pvSizes = vg.pvs.map((p) => sizes.get(p));
    if (pvSizes.some((s) => s === undefined)) return;
    const meta = fixed(vg.pv_metadata_size);
    let total = 0n;
    vg.pvs.forEach((pv, k) => {
      const ext = pvExtents(pvSizes[k]!, extent, meta);
      if (ext <= 0n) rb.add('size.does_not_fit', ['volume_groups', i, 'pvs', k], `PV "${pv}" is too small for LVM metadata and one extent`);
      total += ext;
    });
    const lvs = vg.logical_volumes ?? [];
    const lvExtents = new Map<string, bigint>();
    const consumes = lvs.map((lv, j) => ({ lv, j, spec: parseSize(lv.size) })).filter((x) => (x.lv.type ?? 'linear') !== 'thin');
    let used = 0n;
    let remainingLv: (typeof consumes)[number] | undefined;
    const extentsOf = (spec: SizeSpec): bigint | undefined =>
      spec.kind === 'bytes' ? ceilDiv(spec.bytes, extent) : spec.kind === 'percent' ? percentOf(total, spec.micro) : undefined;
    for (const c of consumes) {
      if (!c.spec) continue;
      const ext = extentsOf(c.spec);
      if (ext === undefined) {
        remainingLv = c;
        continue;
      }
      const overhead = c.lv.type === 'thin-pool' ? thinPoolOverheadExtents(ext * extent, extent) : 0n;
      lvExtents.set(c.lv.id, ext);
      used += ext + overhead;
    }
    if (remainingLv) {
      let rest = total - used;
      if (remainingLv.lv.type === 'thin-pool') {
        // the pool's metadata comes out of what remains, too
        rest -= thinPoolOverheadExtents(rest * extent, extent);
      }
      if (rest <= 0n) {
        rb.add('size.does_not_fit', ['volume_groups', i, 'logical_volumes', remainingLv.j, 'size'], `nothing remains in volume group "${vg.id}" for "${remainingLv.lv.id}"`);
      } else {
        lvExtents.set(remainingLv.lv.id, rest);
        used = total;
      }
    }
    if (used > total) {
      rb.add('size.does_not_fit', ['volume_groups', i, 'logical_volumes'], `logical volumes of "${vg.id}" need ${formatBytes(used * extent)} but it has ${formatBytes(total * extent)} (${total} extents of ${formatBytes(extent)})`);
    }
    for (const [id, ext] of lvExtents) sizes.set(id, ext * extent);
    // Thin volumes: virtual sizes relative to their pool; more than the pool is allowed but risky.
    const virtualByPool = new Map<string, bigint>();
    lvs.forEach((lv, j) => {
      if (lv.type !== 'thin' || !lv.pool) return;
      const spec = parseSize(lv.size);
      const pool = lvExtents.get(lv.pool);
      if (!spec || spec.kind === 'remaining') return;
      let bytes: bigint | undefined;
      if (spec.kind === 'bytes') bytes = ceilDiv(spec.bytes, extent) * extent;
      else if (pool !== undefined) bytes = percentOf(pool, spec.micro) * extent;
      if (bytes === undefined) return;
      sizes.set(lv.id, bytes);
      const total = (virtualByPool.get(lv.pool) ?? 0n) + bytes;
      virtualByPool.set(lv.pool, total);
      if (pool !== undefined && total > pool * extent) {
        rb.add('lvm.thin_overcommit', ['volume_groups', i, 'logical_volumes', j, 'size'], `thin volumes of pool "${lv.pool}" reach ${formatBytes(total)}, more than its ${formatBytes(pool * extent)}`);
      }
    });
    vgs.set(vg.id, { extent, totalExtents: total, lvExtents });
  });

  return { layouts, sizes, vgs };
}
