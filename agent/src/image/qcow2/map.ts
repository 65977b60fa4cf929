import { AnvilError } from '@anvil/shared';
import type { Qcow2Header } from './header';

/** Host clusters copied to the guest as they are (coalesced while both sides stay contiguous). */
export interface DataExtent {
  readonly kind: 'data';
  readonly host: number;
  readonly length: number;
  readonly guest: number;
}

/** One compressed cluster: `length` bytes at `host` inflate to one cluster at `guest`. */
export interface CompressedExtent {
  readonly kind: 'compressed';
  readonly host: number;
  readonly length: number;
  readonly guest: number;
}

/** Metadata read ahead with range requests; the bytes the full stream carries there must be the same. */
export interface TableExtent {
  readonly kind: 'table';
  readonly host: number;
  readonly length: number;
  readonly expect: Buffer;
}

export type Extent = DataExtent | CompressedExtent | TableExtent;

export interface GuestRange {
  readonly start: number;
  readonly length: number;
}

export interface Qcow2Map {
  /** Sorted by host offset: the order the one pass meets them. */
  readonly extents: readonly Extent[];
  /** Guest ranges no cluster writes: unallocated or zero clusters, which read as zeros (there is no backing file). */
  readonly zeros: readonly GuestRange[];
  /** Guest bytes the data and compressed clusters write. */
  readonly dataBytes: number;
}

/** Host offsets are bits 9–55 of a table entry. */
const OFFSET_MASK = 0x00fffffffffffe00n;
const COMPRESSED = 1n << 62n;
/** Contiguous data clusters are written in pieces of at most this (one write, one pooled buffer). */
export const MAX_EXTENT = 4 << 20;

function invalid(message: string): AnvilError {
  return new AnvilError('image.qcow2_invalid', `not a usable qcow2 image: ${message}`);
}

/** The L2 tables the L1 table points at, as [L1 index, host offset]. */
export function l2Tables(h: Qcow2Header, l1: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const perL2 = h.clusterSize / 8;
  const used = Math.ceil(h.virtualSize / (perL2 * h.clusterSize));
  for (let i = 0; i < Math.min(h.l1Entries, used); i++) {
    const off = Number(l1.readBigUInt64BE(i * 8) & OFFSET_MASK);
    if (off === 0) continue;
    if (off % h.clusterSize !== 0) throw invalid(`L1 entry ${i} points at ${off}, not a cluster boundary`);
    out.push([i, off]);
  }
  return out;
}

/**
 * Every guest cluster of the active L1 table, as the extents one ordered pass over the file writes and the
 * guest ranges that read as zeros. `tables` are the L2 tables by host offset, the `meta` extents are checked
 * against the stream (header, L1, L2), so the map the pass follows is covered by the image's checksum too.
 */
export function mapClusters(h: Qcow2Header, l1: Buffer, tables: ReadonlyMap<number, Buffer>, meta: readonly TableExtent[]): Qcow2Map {
  const cs = h.clusterSize;
  const perL2 = cs / 8;
  const x = BigInt(62 - (h.clusterBits - 8));
  const cOffsetMask = (1n << x) - 1n;
  const cSectorMask = (1n << (62n - x)) - 1n;
  const extents: Extent[] = [...meta];
  const covered: GuestRange[] = [];
  let dataBytes = 0;
  let run: { host: number; guest: number; length: number } | undefined;
  const endRun = (): void => {
    if (!run) return;
    extents.push({ kind: 'data', ...run });
    covered.push({ start: run.guest, length: run.length });
    run = undefined;
  };
  for (const [i, off] of l2Tables(h, l1)) {
    const table = tables.get(off);
    if (!table || table.length < cs) throw invalid(`the L2 table at ${off} was not read in full`);
    for (let j = 0; j < perL2; j++) {
      const guest = (i * perL2 + j) * cs;
      if (guest >= h.virtualSize) break;
      const length = Math.min(cs, h.virtualSize - guest);
      const e = table.readBigUInt64BE(j * 8);
      if (e & COMPRESSED) {
        endRun();
        const host = Number(e & cOffsetMask);
        const sectors = Number((e >> x) & cSectorMask) + 1;
        extents.push({ kind: 'compressed', host, length: sectors * 512 - (host % 512), guest });
        covered.push({ start: guest, length });
        dataBytes += length;
        continue;
      }
      const host = Number(e & OFFSET_MASK);
      const zero = h.version === 3 && (e & 1n) === 1n;
      if (zero || host === 0) {
        endRun(); // reads as zeros (a zero cluster, or unallocated with no backing file)
        continue;
      }
      if (host % cs !== 0) throw invalid(`the L2 entry for guest offset ${guest} points at ${host}, not a cluster boundary`);
      dataBytes += length;
      if (run && run.host + run.length === host && run.guest + run.length === guest && run.length + length <= MAX_EXTENT) run.length += length;
      else {
        endRun();
        run = { host, guest, length };
      }
    }
    endRun();
  }
  extents.sort((a, b) => a.host - b.host || (a.kind === 'table' ? -1 : 0) - (b.kind === 'table' ? -1 : 0));
  return { extents, zeros: complement(covered, h.virtualSize), dataBytes };
}

/** The parts of [0, size) no range covers, merged. */
export function complement(ranges: readonly GuestRange[], size: number): GuestRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: GuestRange[] = [];
  let at = 0;
  for (const r of sorted) {
    if (r.start > at) out.push({ start: at, length: r.start - at });
    at = Math.max(at, r.start + r.length);
  }
  if (at < size) out.push({ start: at, length: size - at });
  return out;
}
