import { alignDown, KiB, MiB } from '../size/units';

export type RaidLevel = 0 | 1 | 4 | 5 | 6 | 10 | 'linear';
export type RaidMetadata = '0.90' | '1.0' | '1.1' | '1.2';

export const MIN_MEMBERS: Readonly<Record<string, number>> = { 0: 2, 1: 2, 4: 3, 5: 3, 6: 4, 10: 2, linear: 2 };
export const DEFAULT_CHUNK = 512n * KiB;

export function isStriped(level: RaidLevel): boolean {
  return level === 0 || level === 4 || level === 5 || level === 6 || level === 10;
}

/**
 * Bytes of a member that hold data, after the MD superblock (and, for 1.1/1.2, the data offset mdadm
 * reserves: up to 128 MiB, less on small devices). Conservative: real arrays are at least this big.
 */
export function memberDataBytes(memberBytes: bigint, metadata: RaidMetadata): bigint {
  switch (metadata) {
    case '0.90':
      // superblock in the last 64 KiB-aligned 64 KiB
      return alignDown(memberBytes, 64n * KiB) - 64n * KiB;
    case '1.0':
      // superblock 8-12 KiB from the end, plus room for an internal bitmap
      return alignDown(memberBytes - 128n * KiB, 4n * KiB);
    case '1.1':
    case '1.2': {
      let headroom = 128n * MiB;
      while (headroom * 1024n > memberBytes && headroom > MiB) headroom /= 2n;
      return alignDown(memberBytes - headroom - MiB, 4n * KiB);
    }
  }
}

/** Array capacity from its smallest member's data bytes. */
export function arrayBytes(level: RaidLevel, memberCount: number, smallestData: bigint, chunk: bigint): bigint {
  const n = BigInt(memberCount);
  const per = isStriped(level) ? alignDown(smallestData, chunk) : smallestData;
  switch (level) {
    case 1:
      return per;
    case 0:
      return per * n;
    case 'linear':
      return per * n; // members may differ; callers pass the sum for linear
    case 4:
    case 5:
      return per * (n - 1n);
    case 6:
      return per * (n - 2n);
    case 10:
      return alignDown((per * n) / 2n, chunk);
  }
}
