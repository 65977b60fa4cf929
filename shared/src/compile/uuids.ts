import { createHash } from 'node:crypto';

/**
 * Filesystem UUIDs derived from a seed (the deployment id) and the filesystem id, so that a compile is
 * deterministic and fstab can be written before mkfs runs, yet every deployment gets new UUIDs.
 */
export function derivedUuid(seed: string, id: string): string {
  const h = createHash('sha256').update(`anvil-fs\0${seed}\0${id}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A vfat volume id `XXXX-XXXX`. */
export function derivedVolumeId(seed: string, id: string): string {
  const hex = createHash('sha256').update(`anvil-vfat\0${seed}\0${id}`).digest('hex').slice(0, 8).toUpperCase();
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

export function planSeed(planJson: unknown): string {
  return createHash('sha256').update(JSON.stringify(planJson)).digest('hex').slice(0, 32);
}
