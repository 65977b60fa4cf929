import fc from 'fast-check';
import { FrameWalker, pzstdMarker, zstdLayout } from '../../../../agent/src/image/zstd-frames';

/**
 * zstd frames built by hand (RFC 8878), so no zstd process is needed: a single-segment header with a 1-byte
 * content size, then raw and RLE blocks, optionally the 4-byte checksum.
 */
function frame(blocks: Array<{ raw: Buffer } | { rle: number; n: number }>, checksum = false): Buffer {
  const size = blocks.reduce((s, b) => s + ('raw' in b ? b.raw.length : b.n), 0);
  const head = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20 | (checksum ? 0x04 : 0), size & 0xff]);
  const parts = blocks.map((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const h = 'raw' in b ? (b.raw.length << 3) | last : (b.n << 3) | (1 << 1) | last;
    const hdr = Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]);
    return Buffer.concat([hdr, 'raw' in b ? b.raw : Buffer.from([b.rle])]);
  });
  return Buffer.concat([head, ...parts, checksum ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0)]);
}

function skippable(payload: Buffer, magicLow = 0x5e): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a00 | magicLow, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** The stream cut at the given offsets, as a download delivers it. */
async function* chunks(b: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...new Set(cuts)].filter((x) => x > 0 && x < b.length).sort((x, y) => x - y)) {
    yield b.subarray(at, c);
    at = c;
  }
  yield b.subarray(at);
}

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

const f1 = frame([{ raw: Buffer.from('hello ') }, { rle: 0x61, n: 40 }]);
const f2 = frame([{ raw: Buffer.from('world') }], true);
const f3 = frame([{ rle: 0, n: 200 }, { raw: Buffer.alloc(0) }]);
/** 100 bytes stored: longer than the 64-byte cap the tests give. */
const big = frame([{ raw: Buffer.alloc(100, 7) }]);

describe('zstd frames measured as they stream by', () => {
  it('finds where each frame and skippable frame ends', () => {
    const w = new FrameWalker();
    const all = Buffer.concat([f1, skippable(Buffer.from('meta')), f2]);
    expect(w.push(all)).toEqual([
      { end: f1.length, kind: 'frame' },
      { end: f1.length + 12, kind: 'skippable' },
      { end: all.length, kind: 'frame' },
    ]);
    expect(w.opaque).toBe(false);
  });

  it('finds the same ends however the stream is cut', () => {
    const all = Buffer.concat([f1, f2, skippable(Buffer.alloc(3)), f3]);
    const whole = new FrameWalker().push(all);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 30 }), (cuts) => {
        const w = new FrameWalker();
        const got = [];
        let at = 0;
        for (const c of [...cuts, all.length].sort((a, b) => a - b)) {
          got.push(...w.push(all.subarray(at, c)));
          at = c;
        }
        expect(got).toEqual(whole);
      }),
    );
  });

  it('stops walking at bytes that are not zstd (a reserved block type, another magic)', () => {
    const bad = Buffer.from(f1);
    bad[6] = (bad[6]! & ~0x06) | 0x06; // block type 3
    const w = new FrameWalker();
    expect(w.push(bad)).toEqual([]);
    expect(w.opaque).toBe(true);
    const w2 = new FrameWalker();
    expect(w2.push(Buffer.concat([f1, Buffer.from('not zstd at all')]))).toEqual([{ end: f1.length, kind: 'frame' }]);
    expect(w2.opaque).toBe(true);
  });
});

describe('the decoder a zstd image gets', () => {
  it('keeps one frame as it is, for zstd', async () => {
    const r = await zstdLayout(chunks(f1, [3, 9]));
    expect(r.layout).toBe('single');
    expect(await collect(r.stream)).toEqual(f1);
  });

  it('keeps a first frame longer than the cap as it is, without holding it', async () => {
    const all = Buffer.concat([big, f1]);
    const r = await zstdLayout(chunks(all, [50, 100]), 64);
    expect(r.layout).toBe('single');
    expect(await collect(r.stream)).toEqual(all);
  });

  it('starts the decoder at once on a first frame that declares a whole image (more than 256 MiB)', async () => {
    const head = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x70, 0, 0, 0, 0x20]); // 4-byte content size: 512 MiB
    const block = Buffer.concat([Buffer.from([(10 << 3) & 0xff, 0, 0]), Buffer.alloc(10, 1)]);
    let pulled = 0;
    const src = (async function* () {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i === 0 ? head : block;
      }
    })();
    const r = await zstdLayout(src);
    expect(r.layout).toBe('single');
    expect(pulled).toBe(1);
    expect((await collect(r.stream)).length).toBe(head.length + 99 * block.length);
  });

  it('passes pzstd\'s own format on as it is', async () => {
    const all = Buffer.concat([pzstdMarker(f1.length), f1, pzstdMarker(f2.length), f2]);
    const r = await zstdLayout(chunks(all, [5, 20]));
    expect(r.layout).toBe('pzstd');
    expect(await collect(r.stream)).toEqual(all);
  });

  it('marks every frame of a multi-frame image for pzstd and leaves skippable frames out, however it is cut', async () => {
    const all = Buffer.concat([f1, f2, skippable(Buffer.from('seek table')), f3]);
    const want = Buffer.concat([pzstdMarker(f1.length), f1, pzstdMarker(f2.length), f2, pzstdMarker(f3.length), f3]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 20 }), async (cuts) => {
        const r = await zstdLayout(chunks(all, cuts));
        expect(r.layout).toBe('frames');
        expect(await collect(r.stream)).toEqual(want);
      }),
    );
  });

  it('sends the rest unmarked after a frame longer than the cap, and a truncated end as it came', async () => {
    const all = Buffer.concat([f1, big, f2]);
    // In 10-byte pieces: the cap is passed before the long frame ends.
    const r = await zstdLayout(chunks(all, Array.from({ length: 20 }, (_, i) => i * 10)), 64);
    expect(r.layout).toBe('frames');
    expect(await collect(r.stream)).toEqual(Buffer.concat([pzstdMarker(f1.length), f1, big, f2]));
    const cut = Buffer.concat([f1, f2.subarray(0, 7)]);
    const t = await zstdLayout(chunks(cut, [2]));
    expect(await collect(t.stream)).toEqual(Buffer.concat([pzstdMarker(f1.length), f1, f2.subarray(0, 7)]));
  });

  it('stops the source when the consumer stops early', async () => {
    let stopped = false;
    const src = (async function* () {
      try {
        yield f1;
        yield f2;
        yield f3;
      } finally {
        stopped = true;
      }
    })();
    const r = await zstdLayout(src);
    for await (const c of r.stream) {
      void c;
      break;
    }
    expect(stopped).toBe(true);
  });
});
