/**
 * zstd images on every core. One zstd frame can only be decoded on one core (each block may refer to the
 * window the blocks before it built), but independent frames can be decoded side by side. `pzstd` does that
 * for its own format only: each frame preceded by a 12-byte skippable frame (magic 0x184D2A50, size 4) that
 * holds the frame's compressed length, so it can cut the input into jobs without decoding it. Other
 * multi-frame files (frames concatenated, `zstd` over split pieces, the seekable format) it decodes on one
 * thread, as one job. So the agent measures the frames as they stream by (RFC 8878 §3.1: the frame header and
 * the 3-byte block headers give every length without decoding) and puts pzstd's marker in front of each
 * frame: any multi-frame image then decodes on every core. A single-frame image (what `zstd` writes, with or
 * without `-T`: its threads compress one frame) stays with `zstd`, which is faster at it than pzstd.
 *
 * The reframed stream is still a valid zstd stream (decoders skip skippable frames), so plain `zstd` decodes
 * it too where pzstd is missing. The checksum is of the file as served: it is taken before this.
 */

const ZSTD_MAGIC = 0xfd2fb528;
/** pzstd's marker: the first of the 16 skippable-frame magics, with a 4-byte payload. */
const PZSTD_MAGIC = 0x184d2a50;
const isSkippable = (magic: number): boolean => (magic & 0xfffffff0) >>> 0 === PZSTD_MAGIC;

/** Frames longer than this (compressed) are not held back to be measured: the rest of the stream goes through as it is. */
export const FRAME_CAP = 16 << 20;
/**
 * A first frame that declares more than this decompressed is taken as the whole image in one frame at once:
 * the decoder starts without waiting for the cap to fill (pzstd's frames are a few MiB; `zstd` of a whole
 * image declares all of it).
 */
export const ONE_FRAME_CONTENT = 256 << 20;

export type ZstdLayout = 'pzstd' | 'frames' | 'single';

type Boundary = { readonly end: number; readonly kind: 'frame' | 'skippable' };

/**
 * Walks zstd frames across chunk boundaries, reporting where each frame and skippable frame ends (as an offset
 * in the whole stream). `opaque` once the bytes are not zstd (the decoder will say so; this only stops
 * walking).
 */
export class FrameWalker {
  private pos = 0;
  private hdr: number[] = [];
  private need = 4;
  private skip = 0;
  private state: 'magic' | 'fhd' | 'fhrest' | 'block' | 'skiplen' | 'skip' = 'magic';
  private afterSkip: 'block' | 'checksum' | 'end' = 'end';
  private checksum = false;
  private kind: Boundary['kind'] = 'frame';
  private fcsBytes = 0;
  opaque = false;
  /** The decompressed size the first frame's header declares, once read (undefined when it declares none). */
  firstContentSize: number | undefined;
  private frames = 0;

  push(chunk: Uint8Array): Boundary[] {
    const out: Boundary[] = [];
    let i = 0;
    while (i < chunk.length && !this.opaque) {
      if (this.state === 'skip') {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.pos += n;
        this.skip -= n;
        if (this.skip === 0) this.afterSkipped(out);
        continue;
      }
      this.hdr.push(chunk[i]!);
      i++;
      this.pos++;
      if (this.hdr.length < this.need) continue;
      this.header(out);
    }
    return out;
  }

  private header(out: Boundary[]): void {
    const h = this.hdr;
    this.hdr = [];
    switch (this.state) {
      case 'magic': {
        const magic = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) return this.expect('fhd', 1);
        if (isSkippable(magic)) return this.expect('skiplen', 4);
        this.opaque = true;
        return;
      }
      case 'fhd': {
        const fhd = h[0]!;
        const single = (fhd >> 5) & 1;
        this.checksum = ((fhd >> 2) & 1) === 1;
        const fcsFlag = fhd >> 6;
        this.fcsBytes = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag]!;
        const rest = (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + this.fcsBytes;
        if (fhd & 0x08) this.opaque = true; // the reserved bit must be 0
        return rest ? this.expect('fhrest', rest) : this.expect('block', 3);
      }
      case 'fhrest': {
        // The content size is the header's last field, little-endian; its 2-byte form counts from 256.
        if (this.frames++ === 0 && this.fcsBytes) {
          const f = h.slice(h.length - this.fcsBytes);
          const v = f.reduceRight((acc, byte) => acc * 256 + byte, 0);
          this.firstContentSize = this.fcsBytes === 2 ? v + 256 : v;
        }
        return this.expect('block', 3);
      }
      case 'block': {
        const b = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const type = (b >> 1) & 3;
        if (type === 3) {
          this.opaque = true; // a reserved block type
          return;
        }
        this.afterSkip = b & 1 ? (this.checksum ? 'checksum' : 'end') : 'block';
        this.kind = 'frame';
        return this.skipBytes(type === 1 ? 1 : b >>> 3, out); // an RLE block holds one byte, repeated
      }
      case 'skiplen':
        this.afterSkip = 'end';
        this.kind = 'skippable';
        return this.skipBytes((h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0, out);
      default:
        throw new Error(`unreachable walker state ${this.state}`);
    }
  }

  private expect(state: FrameWalker['state'], need: number): void {
    this.state = state;
    this.need = need;
  }

  private skipBytes(n: number, out: Boundary[]): void {
    this.state = 'skip';
    this.skip = n;
    if (n === 0) this.afterSkipped(out);
  }

  private afterSkipped(out: Boundary[]): void {
    if (this.afterSkip === 'block') return this.expect('block', 3);
    if (this.afterSkip === 'checksum') {
      this.afterSkip = 'end';
      return this.skipBytes(4, out);
    }
    out.push({ end: this.pos, kind: this.kind });
    this.expect('magic', 4);
  }
}

/** pzstd's 12-byte marker for a frame of `length` compressed bytes. */
export function pzstdMarker(length: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(PZSTD_MAGIC, 0);
  b.writeUInt32LE(4, 4);
  b.writeUInt32LE(length, 8);
  return b;
}

/**
 * Looks at the start of a zstd stream and says how it can be decoded: `pzstd` (already in pzstd's format:
 * passed on as it is), `frames` (several frames: the stream returned carries pzstd's marker before each), or
 * `single` (one frame, or the first one longer than `cap`: passed on as it is). Holds back at most the first
 * frame (≤ `cap` bytes) to decide, and one frame at a time after that.
 */
export async function zstdLayout(input: AsyncIterable<Buffer>, cap = FRAME_CAP): Promise<{ layout: ZstdLayout; stream: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  const walker = new FrameWalker();
  let held: Buffer[] = [];
  let heldLen = 0;
  let base = 0; // the stream offset of held[0]
  const bounds: Boundary[] = [];
  let ended = false;
  // Reads until the first frame ends, and a byte past it: a lone frame and the first of many look alike before.
  while (!walker.opaque && heldLen <= cap && !(bounds.length && heldLen > bounds[0]!.end) && !(bounds.length === 0 && (walker.firstContentSize ?? 0) > ONE_FRAME_CONTENT)) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    held.push(r.value);
    heldLen += r.value.length;
    bounds.push(...walker.push(r.value));
  }
  const start = Buffer.concat(held).subarray(0, 8);
  const pzstd = start.length === 8 && start.readUInt32LE(0) === PZSTD_MAGIC && start.readUInt32LE(4) === 4;
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield* held;
    held = [];
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  const first = bounds[0];
  if (pzstd || ended || !first || first.kind !== 'frame' || heldLen <= first.end) {
    return { layout: pzstd ? 'pzstd' : 'single', stream: guarded(it, rest()) };
  }
  // Sends what `held` holds up to a boundary: a frame behind its marker; a skippable frame is left out (it
  // produces no output, and pzstd would end its parallel mode at one).
  const cut = function* (b: Boundary): Generator<Buffer> {
    const length = b.end - base;
    const parts: Buffer[] = [];
    for (let taken = 0; taken < length; ) {
      const c = held[0]!;
      const want = length - taken;
      if (c.length <= want) {
        parts.push(c);
        held.shift();
        taken += c.length;
      } else {
        parts.push(c.subarray(0, want));
        held[0] = c.subarray(want);
        taken += want;
      }
    }
    base = b.end;
    heldLen -= length;
    if (b.kind === 'frame') {
      yield pzstdMarker(length);
      yield* parts;
    }
  };
  const frames = async function* (): AsyncGenerator<Buffer> {
    for (const b of bounds) yield* cut(b);
    for (;;) {
      // A frame too long to hold, or bytes that are not zstd: the rest goes as it is (pzstd decodes an
      // unmarked remainder as one job; a decoder reports what is not zstd).
      if (walker.opaque || heldLen > cap) return yield* rest();
      const r = await it.next();
      if (r.done) return yield* held; // an unfinished frame: the decoder reports the truncation
      held.push(r.value);
      heldLen += r.value.length;
      for (const b of walker.push(r.value)) yield* cut(b);
    }
  };
  return { layout: 'frames', stream: guarded(it, frames()) };
}

/** A consumer that stops early stops the source too (and with it the download and its hashing worker). */
async function* guarded(it: AsyncIterator<Buffer>, inner: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* inner;
  } finally {
    await it.return?.();
  }
}
