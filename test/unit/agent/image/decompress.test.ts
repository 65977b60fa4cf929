import { gzipSync } from 'node:zlib';
import { sniffCompression } from '@anvil/agent';

describe('compression is sniffed from magic bytes', () => {
  it.each([
    [gzipSync(Buffer.from('x')), 'gzip'],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]), 'xz'],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), 'zstd'],
    [Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]), 'zstd'], // pzstd's marker
    [Buffer.from([0x50, 0x2a, 0x4d, 0x18, 9, 0, 0, 0]), 'none'],
    [Buffer.from('BZh91AY&SY'), 'bzip2'],
    [Buffer.from('QFI\xfb\0\0\0\x03', 'latin1'), 'none'],
    [Buffer.alloc(8), 'none'],
    [Buffer.alloc(0), 'none'],
  ])('%#: %s', (head, kind) => {
    expect(sniffCompression(head)).toBe(kind);
  });
});
