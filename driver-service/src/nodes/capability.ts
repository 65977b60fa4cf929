import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh capability secret: 256 random bits, URL-safe. Only its hash is stored. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The capability URL (the shape is the protocol's: shared/src/protocol/capability.ts). */
export { capabilityUrl as metadataUrl } from '@anvil/shared/protocol';
