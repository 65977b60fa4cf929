import { decompress as zstdDecompress } from 'fzstd';
import { parseQcow2Header, Qcow2Unstreamable } from '../../../../agent/src/image/qcow2/header';
import { complement, mapClusters, MAX_EXTENT, type TableExtent } from '../../../../agent/src/image/qcow2/map';
import { zstdFrameLength } from '../../../../agent/src/image/qcow2/zstd-frame';

const KiB = 1024;

interface HeaderFields {
  version?: number;
  clusterBits?: number;
  size?: number;
  l1Entries?: number;
  l1Offset?: number;
  backing?: number;
  crypt?: number;
  incompatible?: bigint;
  compressionType?: number;
}

function header(f: HeaderFields = {}): Buffer {
  const b = Buffer.alloc(112);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(f.version ?? 3, 4);
  b.writeBigUInt64BE(BigInt(f.backing ?? 0), 8);
  b.writeUInt32BE(f.clusterBits ?? 16, 20);
  b.writeBigUInt64BE(BigInt(f.size ?? 1 << 30), 24);
  b.writeUInt32BE(f.crypt ?? 0, 32);
  b.writeUInt32BE(f.l1Entries ?? 2, 36);
  b.writeBigUInt64BE(BigInt(f.l1Offset ?? 3 * 65536), 40);
  b.writeBigUInt64BE(f.incompatible ?? 0n, 72);
  b.writeUInt32BE(104 + (f.compressionType !== undefined ? 8 : 0), 100);
  if (f.compressionType !== undefined) b.writeUInt8(f.compressionType, 104);
  return b;
}

describe('qcow2 header', () => {
  it('reads version 3 and version 2 headers', () => {
    expect(parseQcow2Header(header())).toEqual({ version: 3, clusterBits: 16, clusterSize: 65536, virtualSize: 1 << 30, l1Entries: 2, l1Offset: 196608, compression: 'deflate' });
    expect(parseQcow2Header(header({ version: 2 }).subarray(0, 72))).toMatchObject({ version: 2, compression: 'deflate' });
  });

  it('knows zstd from the compression-type feature and field', () => {
    expect(parseQcow2Header(header({ incompatible: 1n << 3n, compressionType: 1 })).compression).toBe('zstd');
    expect(() => parseQcow2Header(header({ incompatible: 1n << 3n, compressionType: 7 }))).toThrow(/compression_type 7/);
  });

  it('accepts a dirty image (stale refcounts do not change the tables) and refuses a corrupt one', () => {
    expect(parseQcow2Header(header({ incompatible: 1n })).version).toBe(3);
    expect(() => parseQcow2Header(header({ incompatible: 2n }))).toThrow(expect.objectContaining({ code: 'image.qcow2_invalid' }));
  });

  it.each<[string, HeaderFields, string]>([
    ['a backing file', { backing: 4096 }, 'backing_file'],
    ['encryption', { crypt: 2 }, 'encrypted'],
    ['an external data file', { incompatible: 1n << 2n }, 'external_data_file'],
    ['subclusters', { incompatible: 1n << 4n }, 'extended_l2'],
    ['a feature it does not know', { incompatible: 1n << 9n }, 'unknown_feature'],
  ])('hands an image with %s to qemu-img', (_what, fields, reason) => {
    let err: unknown;
    try {
      parseQcow2Header(header(fields));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Qcow2Unstreamable);
    expect((err as Qcow2Unstreamable).reason).toBe(reason);
  });

  it.each<[string, Buffer, RegExp]>([
    ['no magic', Buffer.alloc(112), /magic/],
    ['version 4', header({ version: 4 }), /version 4/],
    ['cluster_bits 8', header({ clusterBits: 8 }), /cluster_bits 8/],
    ['an L1 too small for the disk', header({ l1Entries: 1, size: 2 ** 31 }), /cannot map/],
    ['an unaligned L1', header({ l1Offset: 1000 }), /not cluster-aligned/],
    ['a cut v3 header', header().subarray(0, 80), /cut short/],
  ])('refuses %s with image.qcow2_invalid', (_what, b, message) => {
    expect(() => parseQcow2Header(b)).toThrow(expect.objectContaining({ code: 'image.qcow2_invalid', message: expect.stringMatching(message) }));
  });
});

describe('qcow2 cluster map', () => {
  // 4 KiB clusters: 512 entries per L2 table, one table maps 2 MiB.
  const h = { version: 3 as const, clusterBits: 12, clusterSize: 4096, virtualSize: 3 * 1024 * KiB + 1000, l1Entries: 2, l1Offset: 4096, compression: 'deflate' as const };
  const l1 = Buffer.alloc(16);
  l1.writeBigUInt64BE((1n << 63n) | 8192n, 0); // "copied" flag set: ignored
  l1.writeBigUInt64BE(12288n, 8);
  const t0 = Buffer.alloc(4096);
  const t1 = Buffer.alloc(4096);
  const at = (t: Buffer, j: number, v: bigint): void => void t.writeBigUInt64BE(v, j * 8);
  at(t0, 0, 0x10000n); // guest 0 → host 64 KiB
  at(t0, 1, 0x11000n); // contiguous on both sides: one extent
  at(t0, 2, 0x13000n); // host gap: a new extent
  at(t0, 3, 0n); // unallocated
  at(t0, 4, 0x20000n | 1n); // zero flag over an allocated cluster
  // compressed: x = 62 - (12 - 8) = 58 offset bits; 2 additional sectors
  at(t0, 5, (1n << 62n) | (2n << 58n) | 0x30123n);
  at(t1, 256, 0x40000n); // guest 3 MiB: the last cluster, cut at the virtual size
  const meta: TableExtent[] = [{ kind: 'table', host: 8192, length: 4096, expect: t0 }];
  const tables = new Map([
    [8192, t0],
    [12288, t1],
  ]);

  it('lists what one pass writes, in host order, and the guest ranges that read as zeros', () => {
    const m = mapClusters(h, l1, tables, meta);
    expect(m.extents).toEqual([
      { kind: 'table', host: 8192, length: 4096, expect: t0 },
      { kind: 'data', host: 0x10000, guest: 0, length: 8192 },
      { kind: 'data', host: 0x13000, guest: 8192, length: 4096 },
      { kind: 'compressed', host: 0x30123, guest: 5 * 4096, length: 3 * 512 - 0x123 },
      { kind: 'data', host: 0x40000, guest: 3 * 1024 * KiB, length: 1000 },
    ]);
    expect(m.zeros).toEqual([
      { start: 3 * 4096, length: 2 * 4096 },
      { start: 6 * 4096, length: 3 * 1024 * KiB - 6 * 4096 },
    ]);
    expect(m.dataBytes).toBe(4 * 4096 + 1000);
  });

  it('version 2 has no zero flag: bit 0 is not read', () => {
    const v2 = mapClusters({ ...h, version: 2 }, l1, tables, []);
    // 0x20001 masks to host 0x20000: a data cluster, not a zero one.
    expect(v2.extents).toContainEqual({ kind: 'data', host: 0x20000, guest: 4 * 4096, length: 4096 });
  });

  it('coalesces contiguous clusters up to 4 MiB per extent', () => {
    const big = { ...h, clusterBits: 16, clusterSize: 65536, virtualSize: 8 << 20, l1Entries: 1 };
    const t = Buffer.alloc(65536);
    for (let j = 0; j < 128; j++) t.writeBigUInt64BE(BigInt(0x100000 + j * 65536), j * 8);
    const one = Buffer.alloc(8);
    one.writeBigUInt64BE(0x30000n);
    const m = mapClusters(big, one, new Map([[0x30000, t]]), []);
    expect(m.extents.map((e) => e.length)).toEqual([MAX_EXTENT, MAX_EXTENT]);
    expect(m.zeros).toEqual([]);
  });

  it('refuses table entries off a cluster boundary, and tables not read', () => {
    const bad = Buffer.from(t0);
    bad.writeBigUInt64BE(0x10200n, 0);
    expect(() => mapClusters(h, l1, new Map([[8192, bad], [12288, t1]]), [])).toThrow(/not a cluster boundary/);
    expect(() => mapClusters(h, l1, new Map([[8192, t0]]), [])).toThrow(/L2 table at 12288 was not read/);
  });

  it('complements ranges within the disk', () => {
    expect(complement([{ start: 10, length: 5 }, { start: 0, length: 4 }, { start: 12, length: 10 }], 30)).toEqual([
      { start: 4, length: 6 },
      { start: 22, length: 8 },
    ]);
    expect(complement([], 7)).toEqual([{ start: 0, length: 7 }]);
  });
});

describe('zstd frame length', () => {
  /** A frame by hand: single segment, 1-byte content size, a raw block and a last RLE block, optional checksum. */
  function frame(checksum: boolean): Buffer {
    const raw = Buffer.from('qcow2!');
    const fhd = 0x20 | (checksum ? 0x04 : 0);
    const block = (last: number, type: number, size: number): Buffer => {
      const v = last | (type << 1) | (size << 3);
      return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
    };
    return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd, raw.length + 10]), block(0, 0, raw.length), raw, block(1, 1, 10), Buffer.from('z'), ...(checksum ? [Buffer.alloc(4)] : [])]);
  }

  it('measures a frame so the sector padding after it is not decoded', () => {
    const f = frame(false);
    const padded = Buffer.concat([f, Buffer.alloc(300)]);
    expect(zstdFrameLength(padded)).toBe(f.length);
    expect(Buffer.from(zstdDecompress(padded.subarray(0, f.length))).toString()).toBe('qcow2!zzzzzzzzzz');
    expect(zstdFrameLength(frame(true))).toBe(f.length + 4);
  });

  it('says undefined for a frame cut short or no frame at all', () => {
    expect(zstdFrameLength(frame(false).subarray(0, 12))).toBeUndefined();
    expect(zstdFrameLength(Buffer.from('not zstd at all'))).toBeUndefined();
  });
});
