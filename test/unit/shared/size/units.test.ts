import { alignDown, alignUp, formatBytes, formatSizeSpec, GiB, MiB, parseBytes, parseSize, percentOf } from '@anvil/shared';

describe('sizes', () => {
  it.each([
    ['512', 512n],
    ['1KB', 1000n],
    ['1 KiB', 1024n],
    ['10 MB', 10_000_000n],
    ['10MiB', 10n * MiB],
    ['1.5GiB', 1_610_612_736n],
    ['2 TB', 2_000_000_000_000n],
    ['1TiB', 1024n * GiB],
    ['4k', 4096n],
    ['0.1 MB', 100_000n],
  ])('parses %s', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it('rounds fractions of a byte down and never uses floats', () => {
    expect(parseBytes('1.0000001KiB')).toBe(1024n);
    expect(parseBytes('9007199254740993B')).toBe(9007199254740993n); // beyond 2^53
    expect(parseBytes('8 PiB')).toBe(8n * 1024n ** 5n);
  });

  it.each(['', 'GiB', '12 GiBs', '-1MiB', '1e3', '1,5GiB', 'ten'])('rejects %j', (text) => {
    expect(parseBytes(text)).toBeUndefined();
  });

  it('parses percentages exactly and "remaining"', () => {
    expect(parseSize('12.5%')).toEqual({ kind: 'percent', micro: 12_500_000n });
    expect(parseSize('100 %')).toEqual({ kind: 'percent', micro: 100_000_000n });
    expect(parseSize('remaining')).toEqual({ kind: 'remaining' });
    expect(parseSize('REMAINING')).toEqual({ kind: 'remaining' });
    expect(parseSize(4096)).toEqual({ kind: 'bytes', bytes: 4096n });
    expect(parseSize(-1)).toBeUndefined();
    expect(parseSize(1.5)).toBeUndefined();
    expect(parseSize('1.1234567%')).toBeUndefined();
  });

  it('takes percentages of a total in integers', () => {
    expect(percentOf(1000n, 33_333_333n)).toBe(333n);
    expect(percentOf(3n * GiB, 50_000_000n)).toBe(1536n * MiB);
  });

  it('aligns up and down', () => {
    expect(alignUp(34n, 2048n)).toBe(2048n);
    expect(alignUp(2048n, 2048n)).toBe(2048n);
    expect(alignDown(4095n, 2048n)).toBe(2048n);
    expect(alignUp(7n, 1n)).toBe(7n);
  });

  it('formats bytes for people', () => {
    expect(formatBytes(512n * MiB)).toBe('512 MiB');
    expect(formatBytes(1536n * MiB)).toBe('1.50 GiB');
    expect(formatBytes(0n)).toBe('0 B');
    expect(formatSizeSpec({ kind: 'percent', micro: 12_500_000n })).toBe('12.5%');
  });
});
