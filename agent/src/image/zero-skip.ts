/** The granularity at which all-zero data is skipped where the target already reads zeros. */
export const ZERO_GRAIN = 64 << 10;
const ZEROS = Buffer.alloc(ZERO_GRAIN);

const isZero = (b: Buffer): boolean => b.equals(b.length === ZERO_GRAIN ? ZEROS : ZEROS.subarray(0, b.length));

/**
 * Writes `len` bytes of `b` at device offset `at`, leaving out the all-zero grains that lie below `zeroedUpTo`
 * (the target reads zeros there already): each run of grains to write is one write. Grains are aligned to the
 * device offset, so what is written stays aligned for direct I/O.
 */
export async function writeSkippingZeros(b: Buffer, len: number, at: number, zeroedUpTo: number, write: (b: Buffer, len: number, at: number) => Promise<void>): Promise<void> {
  if (at >= zeroedUpTo) return write(b, len, at);
  let runStart = -1;
  let off = 0;
  while (off < len) {
    const end = Math.min(len, off + ZERO_GRAIN - ((at + off) % ZERO_GRAIN));
    const skip = at + end <= zeroedUpTo && isZero(b.subarray(off, end));
    if (!skip && runStart < 0) runStart = off;
    if (skip && runStart >= 0) {
      await write(b.subarray(runStart), off - runStart, at + runStart);
      runStart = -1;
    }
    off = end;
  }
  if (runStart >= 0) await write(b.subarray(runStart), len - runStart, at + runStart);
}
