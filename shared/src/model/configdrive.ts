import { gunzipSync } from 'node:zlib';
import { MiB, parseSize } from '../size/units';

export const CONFIGDRIVE_MAX = 64n * MiB;
export const CONFIGDRIVE_DEFAULT = 64n * MiB;

export function configdriveBytes(size: number | string | undefined): bigint {
  const s = size === undefined ? undefined : parseSize(size);
  return s?.kind === 'bytes' ? s.bytes : CONFIGDRIVE_DEFAULT;
}

const BASE64_RE = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** Decodes Ironic's string form: base64 of a gzip-compressed ISO. Returns undefined when it is not one. */
export function decodeConfigdriveString(text: string): Buffer | undefined {
  if (!BASE64_RE.test(text)) return undefined;
  const raw = Buffer.from(text, 'base64');
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return undefined;
  try {
    return gunzipSync(raw);
  } catch {
    return undefined;
  }
}
