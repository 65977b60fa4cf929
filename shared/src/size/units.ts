/**
 * Sizes in integer bytes. Every size in a plan is parsed here into a bigint; no float ever touches a size.
 *
 * Accepted forms: a non-negative integer (bytes), or a string "<decimal> <unit>" where unit is one of
 * B, KB/MB/GB/TB/PB (powers of 1000), KiB/MiB/GiB/TiB/PiB (powers of 1024), or K/M/G/T/P (binary, as
 * lvm and sgdisk read them). Decimals are exact: "1.5GiB" is 1610612736 bytes; a result that is not
 * a whole number of bytes is rounded down.
 */
export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;
export const TiB = 1024n * GiB;
export const PiB = 1024n * TiB;

const UNITS: Readonly<Record<string, bigint>> = {
  b: 1n,
  '': 1n,
  kb: 1000n,
  mb: 1000n ** 2n,
  gb: 1000n ** 3n,
  tb: 1000n ** 4n,
  pb: 1000n ** 5n,
  kib: KiB,
  mib: MiB,
  gib: GiB,
  tib: TiB,
  pib: PiB,
  k: KiB,
  m: MiB,
  g: GiB,
  t: TiB,
  p: PiB,
};

/** A plan size: a fixed number of bytes, a percentage of its container, or whatever remains in it. */
export type SizeSpec =
  | { kind: 'bytes'; bytes: bigint }
  | { kind: 'percent'; /** percentage scaled by 10^6 (so 12.5% is 12_500_000n) */ micro: bigint }
  | { kind: 'remaining' };

export const PERCENT_SCALE = 1_000_000n;

const SIZE_RE = /^\s*(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)\s*$/;
const PERCENT_RE = /^\s*(\d+)(?:\.(\d{1,6}))?\s*%\s*$/;

/** Parses "<decimal><unit>" into bytes; returns undefined when the text is not a size. */
export function parseBytes(text: string): bigint | undefined {
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  const unit = UNITS[(m[3] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const whole = BigInt(m[1]!) * scale + (frac ? BigInt(frac) : 0n);
  return (whole * unit) / scale;
}

/** Parses any plan size: integer bytes, "<n><unit>", "<n>%" or "remaining". */
export function parseSize(value: number | string): SizeSpec | undefined {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return undefined;
    return { kind: 'bytes', bytes: BigInt(value) };
  }
  const text = value.trim();
  if (text.toLowerCase() === 'remaining') return { kind: 'remaining' };
  const p = PERCENT_RE.exec(text);
  if (p) {
    const frac = (p[2] ?? '').padEnd(6, '0');
    const micro = BigInt(p[1]!) * PERCENT_SCALE + BigInt(frac);
    return { kind: 'percent', micro };
  }
  const bytes = parseBytes(text);
  return bytes === undefined ? undefined : { kind: 'bytes', bytes };
}

/** `percent` of `total`, rounded down to whole bytes. */
export function percentOf(total: bigint, micro: bigint): bigint {
  return (total * micro) / (100n * PERCENT_SCALE);
}

export function alignUp(value: bigint, to: bigint): bigint {
  if (to <= 1n) return value;
  const r = value % to;
  return r === 0n ? value : value + (to - r);
}

export function alignDown(value: bigint, to: bigint): bigint {
  if (to <= 1n) return value;
  return value - (value % to);
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export function minBig(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

const BINARY_NAMES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Formats bytes for people: exact when it is a whole number of a binary unit, else two decimals. */
export function formatBytes(bytes: bigint): string {
  if (bytes < 0n) return `-${formatBytes(-bytes)}`;
  let unit = 0;
  let div = 1n;
  while (unit < BINARY_NAMES.length - 1 && bytes >= div * 1024n) {
    div *= 1024n;
    unit += 1;
  }
  const whole = bytes / div;
  const rest = bytes % div;
  if (rest === 0n) return `${whole} ${BINARY_NAMES[unit]}`;
  const hundredths = (rest * 100n) / div;
  return `${whole}.${hundredths.toString().padStart(2, '0')} ${BINARY_NAMES[unit]}`;
}

export function formatSizeSpec(spec: SizeSpec): string {
  switch (spec.kind) {
    case 'bytes':
      return formatBytes(spec.bytes);
    case 'remaining':
      return 'remaining';
    case 'percent': {
      const whole = spec.micro / PERCENT_SCALE;
      const frac = (spec.micro % PERCENT_SCALE).toString().padStart(6, '0').replace(/0+$/, '');
      return frac ? `${whole}.${frac}%` : `${whole}%`;
    }
  }
}
