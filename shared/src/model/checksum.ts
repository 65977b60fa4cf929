/** Image checksums as the plan writes them: `<algorithm>:<hex>`. The one parser for them. */
export const CHECKSUM_HEX: Readonly<Record<string, number>> = { sha256: 64, sha512: 128, md5: 32 };

export interface Checksum {
  readonly algorithm: 'sha256' | 'sha512' | 'md5';
  readonly value: string;
}

export function parseChecksum(text: string): Checksum | undefined {
  const m = /^(sha256|sha512|md5):([0-9a-fA-F]+)$/.exec(text.trim());
  if (!m || m[2]!.length !== CHECKSUM_HEX[m[1]!]) return undefined;
  return { algorithm: m[1] as Checksum['algorithm'], value: m[2]!.toLowerCase() };
}

/** A bare hex digest (as Ironic's image_checksum holds one) as `<algorithm>:<hex>`, the algorithm told by its length. */
export function checksumFromHex(hex: string): string | undefined {
  const h = hex.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(h)) return undefined;
  const algorithm = Object.keys(CHECKSUM_HEX).find((a) => CHECKSUM_HEX[a] === h.length);
  return algorithm ? `${algorithm}:${h}` : undefined;
}
