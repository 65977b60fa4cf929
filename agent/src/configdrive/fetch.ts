import { AnvilError, type Logger } from '@anvil/shared';
import { httpBytes } from '../image/http-source';
import { decodeFetched } from './build';

/** A config drive from a URL (Ironic's URL form), bounded by its partition, decoded to the image bytes. */
export async function fetchConfigdrive(url: string, maxBytes: number, log: Logger): Promise<Buffer> {
  const parts: Buffer[] = [];
  let len = 0;
  for await (const chunk of httpBytes(url, { log })) {
    len += chunk.length;
    // base64 text is a third larger than the image it holds
    if (len > maxBytes * 2) throw new AnvilError('configdrive.too_large', `the config drive at ${url.replace(/\?.*$/, '')} is larger than its partition`);
    parts.push(chunk);
  }
  return decodeFetched(Buffer.concat(parts));
}
