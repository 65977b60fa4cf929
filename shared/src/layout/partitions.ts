import type { DiskT, PartitionT, LogicalPartitionT } from '../plan/v1/disk';
import type { DiskGeometry } from '../inventory/schema';
import { alignDown, alignUp, ceilDiv, formatBytes, MiB, parseSize, percentOf, type SizeSpec } from '../size/units';
import type { Path, ReportBuilder } from '../report/report';

/** Where a partition lands, in logical sectors (start and end inclusive). */
export interface PlacedPartition {
  readonly id: string;
  readonly number: number;
  readonly role: 'primary' | 'extended' | 'logical' | 'configdrive';
  readonly start: bigint;
  readonly end: bigint;
  readonly path: Path;
}

export interface DiskLayout {
  readonly table: 'gpt' | 'msdos';
  readonly sector: bigint;
  readonly alignSectors: bigint;
  readonly totalSectors: bigint;
  readonly firstUsable: bigint;
  readonly lastUsable: bigint;
  readonly partitions: readonly PlacedPartition[];
}

export const DEFAULT_ALIGNMENT = MiB;
export const GPT_MAX_PARTITIONS = 128;
/** GPT partition entry array: 128 entries of 128 bytes. */
const GPT_ENTRIES_BYTES = 16384n;
const MBR_MAX_SECTOR = 2n ** 32n - 1n;

export function gptUsable(totalSectors: bigint, sector: bigint): { first: bigint; last: bigint } {
  const entrySectors = ceilDiv(GPT_ENTRIES_BYTES, sector);
  // protective MBR + primary header + entries at the start; entries + backup header at the end.
  return { first: 2n + entrySectors, last: totalSectors - 2n - entrySectors };
}

interface Item {
  readonly id: string;
  readonly size: SizeSpec;
  readonly start: bigint | undefined;
  readonly path: Path;
  readonly role: PlacedPartition['role'];
}

function toItem(p: PartitionT | LogicalPartitionT, path: Path, role: PlacedPartition['role']): Item | undefined {
  const size = parseSize(p.size);
  if (!size) return undefined;
  const start = p.start === undefined ? undefined : parseSize(p.start);
  return { id: p.id, size, start: start?.kind === 'bytes' ? start.bytes : undefined, path, role };
}

/**
 * Places a sequence of partitions inside [first, last] (sectors, inclusive). `gap` sectors precede
 * each partition (the EBR of a logical partition). Reports what does not fit; returns the placements
 * that could be computed.
 */
function placeSequence(
  items: readonly Item[],
  first: bigint,
  last: bigint,
  gap: bigint,
  align: bigint,
  sector: bigint,
  rb: ReportBuilder,
): Array<{ item: Item; start: bigint; end: bigint }> {
  const out: Array<{ item: Item; start: bigint; end: bigint }> = [];
  const usableStart = alignUp(first + gap, align);
  const usableEnd = alignDown(last + 1n, align);
  const totalBytes = usableEnd > usableStart ? (usableEnd - usableStart) * sector : 0n;
  const fixedSectors = (it: Item): bigint | undefined => {
    if (it.size.kind === 'bytes') return ceilDiv(it.size.bytes, sector);
    if (it.size.kind === 'percent') return alignDown(percentOf(totalBytes, it.size.micro) / sector, align);
    return undefined;
  };
  let cursor = first;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    let start: bigint;
    if (it.start !== undefined) {
      if (it.start % sector !== 0n) {
        rb.add('size.not_sector_multiple', [...it.path, 'start'], `start ${it.start} is not a multiple of the ${sector}-byte sector`);
        return out;
      }
      start = it.start / sector;
      if (start < cursor + gap) {
        rb.add('partition.overlap', [...it.path, 'start'], `partition "${it.id}" starts at sector ${start}, inside the space before it (free from sector ${cursor + gap})`);
        return out;
      }
      if (start % align !== 0n) rb.add('size.unaligned', [...it.path, 'start'], `start sector ${start} is not aligned to ${align} sectors`);
    } else {
      start = alignUp(cursor + gap, align);
    }
    let sectors = fixedSectors(it);
    if (sectors === undefined) {
      // remaining: leave room for what follows, each rounded up to the alignment.
      let need = 0n;
      for (const next of items.slice(i + 1)) need += alignUp((fixedSectors(next) ?? 0n) + gap, align);
      const endExclusive = i === items.length - 1 ? last + 1n : alignDown(last + 1n - need, align);
      sectors = endExclusive - start;
    }
    if (sectors <= 0n) {
      rb.add(it.size.kind === 'bytes' ? 'size.zero' : 'size.does_not_fit', [...it.path, 'size'], `partition "${it.id}" would have no space`);
      return out;
    }
    const end = start + sectors - 1n;
    if (end > last) {
      const over = (end - last) * sector;
      rb.add('size.does_not_fit', [...it.path, 'size'], `partition "${it.id}" ends ${formatBytes(over)} beyond the usable end of its container`);
      return out;
    }
    out.push({ item: it, start, end });
    cursor = end + 1n;
  }
  return out;
}

/**
 * Computes the exact sectors of every partition of a disk. `configdriveBytes` reserves a partition at
 * the end of the disk for the config drive. Geometry problems are reported; the result holds what fits.
 */
export function layoutDisk(
  disk: DiskT,
  diskPath: Path,
  geo: DiskGeometry,
  configdriveBytes: bigint | undefined,
  rb: ReportBuilder,
): DiskLayout | undefined {
  const table = disk.table ?? 'gpt';
  if (table === 'none') return undefined;
  const sector = geo.logicalSector;
  const alignBytes = disk.alignment === undefined ? DEFAULT_ALIGNMENT : (parseSize(disk.alignment) as { bytes: bigint }).bytes;
  if (alignBytes % sector !== 0n || alignBytes === 0n) {
    rb.add('inventory.sector_size', [...diskPath, 'alignment'], `alignment ${formatBytes(alignBytes)} is not a multiple of the ${sector}-byte logical sector`);
    return undefined;
  }
  const align = alignBytes / sector;
  const totalSectors = geo.size / sector;
  let first: bigint;
  let last: bigint;
  if (table === 'gpt') {
    ({ first, last } = gptUsable(totalSectors, sector));
  } else {
    first = 1n;
    last = totalSectors - 1n;
    if (last > MBR_MAX_SECTOR) {
      rb.add('partition.mbr_space_unusable', [...diskPath, 'table'], `an MBR table addresses ${formatBytes((MBR_MAX_SECTOR + 1n) * sector)}; the remaining ${formatBytes((last - MBR_MAX_SECTOR) * sector)} stay unused`);
      last = MBR_MAX_SECTOR;
    }
  }
  const lastUsable = last;
  const placed: PlacedPartition[] = [];
  let cd: { start: bigint; end: bigint } | undefined;
  if (configdriveBytes !== undefined) {
    const cdSectors = ceilDiv(configdriveBytes, sector);
    const cdStart = alignDown(last + 1n - cdSectors, align);
    cd = { start: cdStart, end: cdStart + cdSectors - 1n };
    last = cdStart - 1n;
  }
  const parts = disk.partitions ?? [];
  const items: Item[] = [];
  parts.forEach((p, i) => {
    const it = toItem(p, [...diskPath, 'partitions', i], p.kind === 'extended' ? 'extended' : 'primary');
    if (it) items.push(it);
  });
  if (items.length !== parts.length) return undefined; // size errors were reported by the schema
  const top = placeSequence(items, first, last, 0n, align, sector, rb);
  let primaryNumber = 1;
  let logicalNumber = 5;
  for (const { item, start, end } of top) {
    placed.push({ id: item.id, number: primaryNumber++, role: item.role, start, end, path: item.path });
    if (item.role === 'extended') {
      const idx = Number(item.path[item.path.length - 1]);
      const logical = parts[idx]?.logical ?? [];
      const litems = logical
        .map((l, j) => toItem(l, [...item.path, 'logical', j], 'logical'))
        .filter((x): x is Item => x !== undefined);
      for (const l of placeSequence(litems, start, end, 1n, align, sector, rb)) {
        placed.push({ id: l.item.id, number: logicalNumber++, role: 'logical', start: l.start, end: l.end, path: l.item.path });
      }
    }
  }
  if (cd) {
    const number = table === 'gpt' ? parts.length + 1 : primaryNumber;
    placed.push({ id: '@configdrive', number, role: 'configdrive', start: cd.start, end: cd.end, path: ['configdrive'] });
  }
  return { table, sector, alignSectors: align, totalSectors, firstUsable: first, lastUsable, partitions: placed };
}

export function partitionBytes(p: PlacedPartition, sector: bigint): bigint {
  return (p.end - p.start + 1n) * sector;
}
