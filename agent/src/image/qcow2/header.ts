import { AnvilError } from '@anvil/shared';

/**
 * The qcow2 header (versions 2 and 3), read from the file's first bytes. Written here rather than taken from a
 * library: no maintained npm package reads qcow2, and the streamer needs only the header fields and the two
 * table formats below (qemu's docs/interop/qcow2.txt is the reference for every offset).
 */
export interface Qcow2Header {
  readonly version: 2 | 3;
  readonly clusterBits: number;
  readonly clusterSize: number;
  /** The guest disk's size in bytes. */
  readonly virtualSize: number;
  readonly l1Entries: number;
  readonly l1Offset: number;
  /** Version 3 with the compression-type bit: zstd; otherwise deflate. */
  readonly compression: 'deflate' | 'zstd';
}

/** Why the streamer hands an image to qemu-img (or refuses it): each one a thing a single ordered pass cannot do. */
export class Qcow2Unstreamable extends Error {
  constructor(readonly reason: 'backing_file' | 'encrypted' | 'external_data_file' | 'extended_l2' | 'unknown_feature', message: string) {
    super(message);
  }
}

export const QCOW2_MAGIC = 0x514649fb;
/** Enough for every header field and the header extensions qemu writes in practice. */
export const QCOW2_HEADER_READ = 64 << 10;

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

function invalid(message: string): AnvilError {
  return new AnvilError('image.qcow2_invalid', `not a usable qcow2 image: ${message}`);
}

/** A 64-bit field as a number, refusing what JavaScript cannot hold exactly (no real image gets near 2^53). */
function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`${what} is ${v}`);
  return Number(v);
}

/**
 * Parses and checks the header. Throws `image.qcow2_invalid` for what is broken, `Qcow2Unstreamable` for what
 * is valid but needs more than one ordered pass (a backing file, encryption, an external data file, subclusters).
 */
export function parseQcow2Header(b: Buffer): Qcow2Header {
  if (b.length < 72 || b.readUInt32BE(0) !== QCOW2_MAGIC) throw invalid('the qcow2 magic is missing');
  const version = b.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw invalid(`version ${version} (2 and 3 are known)`);
  const clusterBits = b.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) throw invalid(`cluster_bits ${clusterBits} is outside 9..21`);
  const virtualSize = u64(b, 24, 'the virtual size');
  const l1Entries = b.readUInt32BE(36);
  const l1Offset = u64(b, 40, 'the L1 table offset');
  const clusterSize = 2 ** clusterBits;
  if (l1Entries > 0 && l1Offset % clusterSize !== 0) throw invalid(`the L1 table at ${l1Offset} is not cluster-aligned`);
  const perL2 = clusterSize / 8;
  if (l1Entries * perL2 * clusterSize < virtualSize) throw invalid(`${l1Entries} L1 entries cannot map ${virtualSize} bytes`);
  let incompatible = 0n;
  let compression: Qcow2Header['compression'] = 'deflate';
  if (version === 3) {
    if (b.length < 104) throw invalid('the version 3 header is cut short');
    incompatible = b.readBigUInt64BE(72);
    const headerLength = b.readUInt32BE(100);
    if (headerLength < 104 || headerLength > clusterSize) throw invalid(`header_length ${headerLength}`);
    if (incompatible & INCOMPAT_COMPRESSION) {
      if (headerLength < 105 || b.length < 105) throw invalid('the compression-type bit is set without a compression_type field');
      const type = b.readUInt8(104);
      if (type === 1) compression = 'zstd';
      else if (type !== 0) throw invalid(`compression_type ${type}`);
    }
  }
  if (incompatible & INCOMPAT_CORRUPT) throw invalid('qemu marked it corrupt (incompatible feature "corrupt"); repair it with qemu-img check -r all');
  if (incompatible & ~INCOMPAT_KNOWN) throw new Qcow2Unstreamable('unknown_feature', `it uses incompatible features 0x${(incompatible & ~INCOMPAT_KNOWN).toString(16)} this streamer does not know`);
  if (incompatible & INCOMPAT_DATA_FILE) throw new Qcow2Unstreamable('external_data_file', 'its data lives in an external data file');
  if (b.readBigUInt64BE(8) !== 0n) throw new Qcow2Unstreamable('backing_file', 'it has a backing file (a one-pass stream cannot read another image)');
  if (b.readUInt32BE(32) !== 0) throw new Qcow2Unstreamable('encrypted', `it is encrypted (crypt_method ${b.readUInt32BE(32)})`);
  if (incompatible & INCOMPAT_EXTL2) throw new Qcow2Unstreamable('extended_l2', 'it has extended L2 entries (subclusters)');
  // The dirty bit only says the refcounts may be stale; the L1/L2 tables the streamer reads are still the truth.
  return { version, clusterBits, clusterSize, virtualSize, l1Entries, l1Offset, compression };
}
