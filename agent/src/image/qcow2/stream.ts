import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { constants as zlib, inflateRaw } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { AnvilError, type ImageSpec, parseChecksum, type Logger } from '@anvil/shared';
import { alignedBuffer, DIRECT_ALIGN, openDirect } from '../aligned';
import { WITHHOLD_BYTES } from '../device-writer';
import { writeSkippingZeros } from '../zero-skip';
import type { OpenedSource } from '../sources';
import { tap, verifier, type ImageProgress } from '../tap';
import { parseQcow2Header, QCOW2_HEADER_READ, type Qcow2Header } from './header';
import { l2Tables, mapClusters, MAX_EXTENT, type Extent, type GuestRange, type Qcow2Map, type TableExtent } from './map';
import { zstdFrameLength } from './zstd-frame';

const inflate = promisify(inflateRaw);

/** Range requests for the L2 tables run this many at a time. */
const TABLE_READS = 4;
/** Pooled direct-I/O buffers: bounds the memory of writes and decompressions in flight (4 × 4 MiB; more did not help). */
const POOL = 4;

export interface Qcow2StreamOptions {
  readonly log: Logger;
  readonly onProgress?: (p: ImageProgress) => void;
  /** The device's size: a larger virtual disk is refused before anything is written. */
  readonly limit?: number;
  /**
   * Zeroes the target from 0 where the device offloads it, answering up to where it now reads zeros: there zero
   * clusters are skipped and so are all-zero grains of data clusters. Everywhere else zeros are written.
   */
  readonly zeroTarget?: (length: number) => Promise<number>;
}

export interface Qcow2StreamResult {
  readonly bytesIn: number;
  readonly virtualSize: number;
  readonly dataBytes: number;
  readonly zeroBytes: number;
  readonly digest?: string;
}

/** Header, L1 and L2 tables by range requests; returns the map the one pass follows. */
export async function readQcow2Map(src: Pick<OpenedSource, 'readRange'>): Promise<{ header: Qcow2Header; map: Qcow2Map }> {
  const head = await src.readRange(0, QCOW2_HEADER_READ);
  const header = parseQcow2Header(head);
  const meta: TableExtent[] = [{ kind: 'table', host: 0, length: Math.min(head.length, header.clusterSize), expect: head.subarray(0, header.clusterSize) }];
  const perL2 = header.clusterSize / 8;
  const l1Used = Math.min(header.l1Entries, Math.ceil(header.virtualSize / (perL2 * header.clusterSize)));
  const l1 = l1Used > 0 ? await src.readRange(header.l1Offset, l1Used * 8) : Buffer.alloc(0);
  if (l1.length < l1Used * 8) throw new AnvilError('image.qcow2_invalid', `not a usable qcow2 image: the L1 table at ${header.l1Offset} is cut short`);
  if (l1.length) meta.push({ kind: 'table', host: header.l1Offset, length: l1.length, expect: l1 });
  const offsets = [...new Set(l2Tables(header, l1).map(([, off]) => off))];
  const tables = new Map<number, Buffer>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(TABLE_READS, offsets.length) }, async () => {
      while (next < offsets.length) {
        const off = offsets[next++]!;
        const t = await src.readRange(off, header.clusterSize);
        tables.set(off, t);
        meta.push({ kind: 'table', host: off, length: t.length, expect: t });
      }
    }),
  );
  return { header, map: mapClusters(header, l1, tables, meta) };
}

/**
 * The bytes of the file from `start` on, kept only from the first extent not yet handled: what one ordered pass
 * holds at a time is at most the longest extent (4 MiB of data, one cluster of table).
 */
class Window {
  private chunks: Buffer[] = [];
  private start = 0;
  end = 0;

  push(c: Buffer): void {
    this.chunks.push(c);
    this.end += c.length;
  }

  /** Copies file bytes [from, from + len) into `dst` at `at`; bytes past what arrived are left as they are. */
  copy(from: number, len: number, dst: Buffer, at = 0): number {
    let pos = this.start;
    let copied = 0;
    for (const c of this.chunks) {
      const cEnd = pos + c.length;
      if (cEnd > from && pos < from + len) {
        const s = Math.max(from, pos);
        const e = Math.min(from + len, cEnd);
        c.copy(dst, at + (s - from), s - pos, e - pos);
        copied += e - s;
      }
      pos = cEnd;
      if (pos >= from + len) break;
    }
    return copied;
  }

  drop(before: number): void {
    while (this.chunks.length && this.start + this.chunks[0]!.length <= before) this.start += this.chunks.shift()!.length;
  }
}

class BufferPool {
  private readonly free: Buffer[];
  private waiting: Array<(b: Buffer) => void> = [];

  constructor(count: number, size: number) {
    this.free = Array.from({ length: count }, () => alignedBuffer(size));
  }

  acquire(): Promise<Buffer> {
    const b = this.free.pop();
    return b ? Promise.resolve(b) : new Promise((resolve) => this.waiting.push(resolve));
  }

  release(b: Buffer): void {
    const w = this.waiting.shift();
    if (w) w(b);
    else this.free.push(b);
  }
}

async function writeAll(fh: FileHandle, b: Buffer, len: number, at: number): Promise<void> {
  let off = 0;
  while (off < len) off += (await fh.write(b, off, len - off, at + off)).bytesWritten;
}


async function inflateCluster(h: Qcow2Header, compressed: Buffer, size: number, guest: number): Promise<Buffer> {
  let out: Uint8Array;
  try {
    if (h.compression === 'zstd') {
      const frame = zstdFrameLength(compressed);
      if (frame === undefined) throw new Error('no whole zstd frame');
      out = zstdDecompress(compressed.subarray(0, frame), new Uint8Array(h.clusterSize));
    } else {
      // Sync flush: the last cluster of a file may end without the padding of its sector.
      out = await inflate(compressed, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: h.clusterSize });
    }
  } catch (err) {
    throw new AnvilError('image.qcow2_decompress_failed', `the ${h.compression} cluster for guest offset ${guest} does not inflate: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (out.length < size) throw new AnvilError('image.qcow2_decompress_failed', `the ${h.compression} cluster for guest offset ${guest} inflates to ${out.length} bytes, not ${size}`);
  return Buffer.from(out.buffer, out.byteOffset, size);
}

/**
 * A qcow2 image onto a device in one ordered pass: the header and the L1/L2 tables first (range requests),
 * then the file read once from start to end — hashed as it arrives, each data cluster written to its guest
 * offset with direct I/O as the pass meets it, each compressed cluster inflated (deflate on libuv's threads,
 * zstd with fzstd) and written, the tables compared with what was read ahead. Zero and unallocated clusters are
 * written as zeros, or skipped when the target is known to read zeros. As for raw images, the first MiB of the
 * device is written last, only once the checksum matched; on failure the end of the virtual disk is zeroed too.
 */
export async function streamQcow2(image: ImageSpec, src: OpenedSource, device: string, o: Qcow2StreamOptions): Promise<Qcow2StreamResult> {
  const { header, map } = await readQcow2Map(src);
  const vsize = header.virtualSize;
  if (o.limit !== undefined && vsize > o.limit) {
    throw new AnvilError('image.too_large', `the qcow2 image's virtual disk is ${vsize} bytes, larger than ${device} (${o.limit} bytes)`, { virtualSize: vsize, deviceSize: o.limit });
  }
  const zeroBytes = map.zeros.reduce((n, r) => n + r.length, 0);
  const zeroedUpTo = (await o.zeroTarget?.(vsize)) ?? 0;
  const counts = { data: 0, compressed: 0, tables: 0 };
  for (const e of map.extents) counts[e.kind === 'table' ? 'tables' : e.kind]++;
  o.log.info({ device, virtualSize: vsize, clusterSize: header.clusterSize, version: header.version, compression: header.compression, dataBytes: map.dataBytes, zeroBytes, extents: counts, zeroedUpTo }, 'qcow2 mapped; streaming it in one pass');

  const checksum = image.checksum ? parseChecksum(image.checksum) : undefined;
  const fh = await open(device, 'r+');
  const direct = await openDirect(device).catch(async (err: unknown) => {
    await fh.close();
    throw err;
  });
  const headLen = Math.min(WITHHOLD_BYTES, vsize);
  const head = Buffer.alloc(headLen);
  const pool = new BufferPool(POOL, MAX_EXTENT);
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const track = (p: Promise<void>): void => {
    const t = p.catch((err: unknown) => {
      failure ??= err;
    });
    pending.add(t);
    void t.finally(() => pending.delete(t));
  };
  const writeGuest = async (b: Buffer, len: number, at: number): Promise<void> => {
    // Direct I/O needs the device offset and the memory aligned (pooled buffers start on a page).
    const aligned = direct && at % DIRECT_ALIGN === 0 && b.byteOffset % DIRECT_ALIGN === 0 ? len - (len % DIRECT_ALIGN) : 0;
    if (aligned > 0) await writeAll(direct!, b, aligned, at);
    if (aligned < len) await writeAll(fh, b.subarray(aligned), len - aligned, at + aligned);
  };
  /** Writes guest bytes held in `b`: the head's share into the held-back head, all-zero grains skipped where the target reads zeros. */
  const place = async (b: Buffer, len: number, guest: number): Promise<void> => {
    let off = 0;
    if (guest < headLen) {
      off = Math.min(len, headLen - guest);
      b.copy(head, guest, 0, off);
    }
    if (off < len) await writeSkippingZeros(b.subarray(off), len - off, guest + off, zeroedUpTo, writeGuest);
  };
  const zeroFill = async (ranges: readonly GuestRange[]): Promise<void> => {
    const zeros = await pool.acquire();
    zeros.fill(0);
    try {
      for (const r of ranges) {
        let start = Math.max(r.start, headLen, zeroedUpTo);
        const end = r.start + r.length;
        while (start < end) {
          if (failure !== undefined) return;
          const n = Math.min(MAX_EXTENT, end - start);
          await writeGuest(zeros, n, start);
          start += n;
        }
      }
    } finally {
      pool.release(zeros);
    }
  };
  const handle = async (e: Extent, win: Window, eof: boolean): Promise<void> => {
    if (e.kind === 'table') {
      const seen = Buffer.alloc(e.length);
      const got = win.copy(e.host, e.length, seen);
      if (got < e.length || !seen.equals(e.expect)) throw new AnvilError('image.qcow2_changed', `the qcow2 table at byte ${e.host} differs between its range request and the download: the file changed on the server`);
      return;
    }
    const size = Math.min(header.clusterSize, vsize - e.guest);
    if (e.kind === 'data') {
      const b = await pool.acquire();
      const got = win.copy(e.host, e.length, b);
      if (got < e.length) {
        pool.release(b);
        throw new AnvilError('image.qcow2_invalid', `not a usable qcow2 image: the file ends before the data at byte ${e.host} (${e.length} bytes)`);
      }
      track(place(b, e.length, e.guest).finally(() => pool.release(b)));
      return;
    }
    // A compressed cluster's sectors may run past the end of the file: what is there is what it has.
    const compressed = Buffer.alloc(e.length);
    const got = win.copy(e.host, e.length, compressed);
    if (got === 0 || (!eof && got < e.length)) throw new AnvilError('image.qcow2_invalid', `not a usable qcow2 image: the compressed cluster at byte ${e.host} is missing`);
    const b = await pool.acquire();
    track(
      inflateCluster(header, compressed.subarray(0, got), size, e.guest)
        .then((out) => {
          out.copy(b, 0, 0, size);
          return place(b, size, e.guest);
        })
        .finally(() => pool.release(b)),
    );
  };

  // Hashed on the main thread: it mostly waits for the network here (the writes run on libuv's threads), and a
  // worker's heap and in-flight copies cost 25–30 MB of a ramdisk's memory (measured: 157 → 131 MB peak RSS).
  const tapped = tap(src, src.bytes, checksum?.algorithm, o.onProgress, 'inline');
  const verify = verifier(image, tapped.state);
  const win = new Window();
  const extents = map.extents;
  let next = 0;
  let written = false;
  try {
    if (map.zeros.some((r) => r.start + r.length > Math.max(headLen, zeroedUpTo))) track(zeroFill(map.zeros));
    for await (const chunk of tapped.stream) {
      win.push(chunk);
      while (next < extents.length && extents[next]!.host + extents[next]!.length <= win.end) {
        await handle(extents[next]!, win, false);
        next++;
        if (failure !== undefined) throw failure;
      }
      win.drop(next < extents.length ? Math.min(extents[next]!.host, win.end) : win.end);
    }
    for (; next < extents.length; next++) await handle(extents[next]!, win, true);
    while (pending.size) await Promise.all(pending);
    if (failure !== undefined) throw failure;
    await fh.sync();
    const digest = await verify();
    await writeAll(fh, head, headLen, 0);
    await fh.sync();
    written = true;
    return { bytesIn: tapped.state.bytes, virtualSize: vsize, dataBytes: map.dataBytes, zeroBytes, ...(digest ? { digest } : {}) };
  } catch (err) {
    failure ??= err;
    while (pending.size) await Promise.all(pending);
    throw err;
  } finally {
    if (!written) {
      // Nothing bootable may remain: the head was never written; the end of the virtual disk (a backup GPT) is zeroed.
      const tail = Math.max(headLen, vsize - WITHHOLD_BYTES);
      if (vsize > tail) await fh.write(Buffer.alloc(vsize - tail), 0, vsize - tail, tail).catch(() => undefined);
      await fh.sync().catch(() => undefined);
    }
    await direct?.close();
    await fh.close();
  }
}
