import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { AnvilError, type ImageT, type Logger } from '@anvil/shared';
import type * as OpenStack from '@anvil/shared/openstack';
import { redactUrl } from '@anvil/shared/protocol';
import { httpBytes, httpRange } from './http-source';

export interface OpenedSource {
  readonly bytes: AsyncIterable<Buffer>;
  /** Size when known before reading (Content-Length or file size); set later for http. */
  total?: number;
  readonly describe: string;
  /** `length` bytes at `offset`, read out of order (the qcow2 tables); fewer only past the end. */
  readonly readRange: (offset: number, length: number) => Promise<Buffer>;
  /** A URL or path qemu-img can read directly (qcow2). */
  readonly direct: { url: string; headers: Record<string, string> } | { file: string };
}

/** A whole number from the environment, or undefined when unset or not one. */
export function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Agent tuning from the environment (ANVIL_HTTP_RETRIES, ANVIL_HTTP_RETRY_DELAY_MS, ANVIL_HTTP_TIMEOUT_MS). */
export function httpTuning(): { retries?: number; retryDelayMs?: number; timeoutMs?: number } {
  const retries = envInt('ANVIL_HTTP_RETRIES');
  const retryDelayMs = envInt('ANVIL_HTTP_RETRY_DELAY_MS');
  const timeoutMs = envInt('ANVIL_HTTP_TIMEOUT_MS');
  return { ...(retries !== undefined ? { retries } : {}), ...(retryDelayMs !== undefined ? { retryDelayMs } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/** Opens an image source: http(s) with resume, a local file, or Glance's /v2/images/{id}/file with a token. */
export async function openSource(source: ImageT['source'], log: Logger): Promise<OpenedSource> {
  if (source.file !== undefined) {
    const path = source.file;
    const st = await stat(path).catch(() => {
      throw new AnvilError('image.file_missing', `image file ${path} does not exist`);
    });
    return { bytes: createReadStream(path, { highWaterMark: 4 << 20 }), total: st.size, describe: `file://${path}`, direct: { file: path }, readRange: (offset, length) => readFileRange(path, offset, length) };
  }
  let url: string;
  const headers: Record<string, string> = { ...source.headers };
  if (source.glance !== undefined) {
    const endpoint = source.glance.endpoint;
    if (!endpoint) throw new AnvilError('image.glance_endpoint_missing', 'a Glance image needs glance.endpoint (the driver-service sets it)');
    // The OpenStack clients (axios) are loaded only for Glance sources: every other deploy leaves them out of
    // memory. require, not import(): the bundled agent initialises a required module lazily, and tsx's CJS hooks
    // see it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { glanceFileUrl, KeystoneSession } = require('@anvil/shared/openstack') as typeof OpenStack;
    url = glanceFileUrl(endpoint, source.glance.image_id);
    const cred = source.glance.application_credential;
    if (cred) {
      // The credential may only download this image; the token it yields is sent to Glance alone.
      const session = new KeystoneSession({ type: 'application_credential', auth_url: cred.auth_url, id: cred.id, secret: cred.secret });
      headers['x-auth-token'] = await session.token();
      log.info({ image: source.glance.image_id, credential: cred.id }, 'authenticated to Keystone with the application credential handed in for this image');
    } else if (source.glance.token) headers['x-auth-token'] = source.glance.token;
  } else if (source.url !== undefined) {
    url = source.url;
  } else {
    throw new AnvilError('image.source_invalid', 'an image source needs url, file or glance');
  }
  const opened: OpenedSource = {
    describe: redactUrl(url),
    direct: { url, headers },
    bytes: httpBytes(url, { headers, log, onTotal: (n) => (opened.total = n), ...httpTuning() }),
    readRange: (offset, length) => httpRange(url, offset, length, { headers, log, ...httpTuning() }),
  };
  return opened;
}

async function readFileRange(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
