import { writeSkippingZeros, ZERO_GRAIN } from '../../../../agent/src/image/zero-skip';

type Write = { at: number; len: number; first: number };

async function writes(b: Buffer, at: number, zeroedUpTo: number): Promise<Write[]> {
  const out: Write[] = [];
  await writeSkippingZeros(b, b.length, at, zeroedUpTo, (buf, len, off) => {
    out.push({ at: off, len, first: buf[0]! });
    return Promise.resolve();
  });
  return out;
}

describe('writing with zero grains skipped', () => {
  const G = ZERO_GRAIN;
  // grains: data, zero, zero, data, data, zero
  const b = Buffer.alloc(6 * G);
  b.fill(1, 0, G);
  b.fill(4, 3 * G, 5 * G);

  it('writes each run of non-zero grains once, where the target reads zeros', async () => {
    expect(await writes(b, 0, 6 * G)).toEqual([
      { at: 0, len: G, first: 1 },
      { at: 3 * G, len: 2 * G, first: 4 },
    ]);
  });

  it('writes everything, zeros too, above what the device zeroed', async () => {
    expect(await writes(b, 0, 0)).toEqual([{ at: 0, len: 6 * G, first: 1 }]);
    // zeroed up to the middle of the second zero grain: that grain is written (with what follows)
    expect(await writes(b, 0, 2 * G + 100)).toEqual([
      { at: 0, len: G, first: 1 },
      { at: 2 * G, len: 4 * G, first: 0 },
    ]);
  });

  it('keeps grains aligned to the device offset, not the buffer', async () => {
    const half = G / 2;
    // The buffer starts half a grain into the device: device grains [0, G) and [G, 2G) are zeros in it, [2G, …) is data.
    const c = Buffer.alloc(2 * G);
    c.fill(7, G + half);
    expect(await writes(c, half, 10 * G)).toEqual([{ at: 2 * G, len: half, first: 7 }]);
  });
});
