/**
 * The length of the zstd frame at the start of `b`, or undefined when it is not whole. A compressed qcow2
 * cluster is followed by whatever fills its last 512-byte sector, which a decoder would read as another frame;
 * fzstd has no "first frame only" mode, so the frame is measured here (RFC 8878 §3.1.1) and cut out first.
 */
export function zstdFrameLength(b: Uint8Array): number | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const fhd = b[4]!;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const did = [0, 1, 2, 4][fhd & 3]!;
  const fcsFlag = fhd >> 6;
  const fcs = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag]!;
  let at = 5 + (single ? 0 : 1) + did + fcs;
  for (;;) {
    if (at + 3 > b.length) return undefined;
    const h = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) return undefined; // reserved block type: not zstd
    at += 3 + (type === 1 ? 1 : size); // an RLE block holds one byte repeated `size` times
    if (last) break;
  }
  at += checksum ? 4 : 0;
  return at <= b.length ? at : undefined;
}
