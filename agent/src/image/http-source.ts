import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { AnvilError, type Logger } from '@anvil/shared';
import { isRetryable, retryDelayMs } from '@anvil/shared/http';
import { redactUrl } from '@anvil/shared/protocol';

export interface HttpSourceOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Reconnections allowed after a dropped connection or a 5xx (each resumes with Range). */
  readonly retries?: number;
  readonly timeoutMs?: number;
  readonly retryDelayMs?: number;
  readonly log?: Logger;
  /** Called once the size is known (Content-Length). */
  readonly onTotal?: (bytes: number) => void;
}

let sharedDispatcher: Dispatcher | undefined;

/** Honours http_proxy / https_proxy / no_proxy, follows redirects. */
function dispatcher(): Dispatcher {
  sharedDispatcher ??= new EnvHttpProxyAgent().compose(interceptors.redirect({ maxRedirections: 5 }));
  return sharedDispatcher;
}

class Retryable extends Error {}

/**
 * A download is a GET: every status the shared policy (shared/src/http/retry.ts) retries for a read, and
 * 500 too, which object stores answer for a transient fault they ask clients to retry (S3's InternalError).
 */
const retryableStatus = (status: number): boolean => isRetryable({ kind: 'status', status }, { method: 'GET', retryStatuses: [500] });

/**
 * The bytes of an http(s) URL, resuming with `Range: bytes=N-` after a dropped connection, a timeout or
 * a 5xx, up to `retries` times. A body shorter or longer than its Content-Length is an error.
 */
export async function* httpBytes(url: string, options: HttpSourceOptions = {}): AsyncGenerator<Buffer> {
  const retries = options.retries ?? 8;
  const timeout = options.timeoutMs ?? 30_000;
  let offset = 0;
  let total: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const headers: Record<string, string> = { ...options.headers, 'user-agent': 'anvil-agent' };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const res = await request(url, { headers, dispatcher: dispatcher(), headersTimeout: timeout, bodyTimeout: timeout });
      if (retryableStatus(res.statusCode)) {
        await res.body.dump();
        throw new Retryable(`HTTP ${res.statusCode}`);
      }
      if (res.statusCode >= 400) {
        // Not worth asking again (a 404, a 403, a 501 …).
        await res.body.dump();
        throw new AnvilError('image.http_error', `GET ${redactUrl(url)} answered HTTP ${res.statusCode}`, { status: res.statusCode }, 502);
      }
      let skip = 0;
      if (offset > 0) {
        const range = /bytes (\d+)-\d+\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
        if (res.statusCode === 206 && range && Number(range[1]) === offset) {
          // resumed where we stopped
        } else if (res.statusCode === 200) {
          skip = offset; // the server ignores Range: read past what we have
        } else {
          await res.body.dump();
          throw new AnvilError('image.resume_refused', `GET ${redactUrl(url)} did not resume at byte ${offset} (HTTP ${res.statusCode})`);
        }
      } else {
        const len = res.headers['content-length'];
        if (len !== undefined) {
          total = Number(len);
          options.onTotal?.(total);
        }
      }
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        let c = chunk;
        if (skip > 0) {
          if (c.length <= skip) {
            skip -= c.length;
            continue;
          }
          c = c.subarray(skip);
          skip = 0;
        }
        offset += c.length;
        if (total !== undefined && offset > total) {
          throw new AnvilError('image.length_mismatch', `GET ${redactUrl(url)} sent more than its Content-Length of ${total} bytes`);
        }
        yield c;
      }
      if (total !== undefined && offset < total) throw new Retryable(`connection closed at byte ${offset} of ${total}`);
      return;
    } catch (err) {
      if (err instanceof AnvilError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      if (attempt >= retries) {
        const code = total !== undefined && offset < total ? 'image.short_read' : 'image.download_failed';
        throw new AnvilError(code, `GET ${redactUrl(url)} failed after ${attempt + 1} attempts at byte ${offset}${total !== undefined ? ` of ${total}` : ''}: ${why}`, { offset, total }, 502);
      }
      const delay = retryDelayMs(attempt + 1, { retries, baseDelayMs: options.retryDelayMs ?? 500, maxDelayMs: 10_000 });
      options.log?.warn({ url: redactUrl(url), offset, attempt: attempt + 1, retry_in_ms: delay, why }, 'download interrupted; resuming');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * `length` bytes at `offset` of an http(s) URL (one `Range: bytes=a-b` request, retried as a download is).
 * A server that ignores Range, or answers another range, fails with `image.range_unsupported`: what reads a
 * file out of order (the qcow2 tables) cannot work against it. Fewer bytes come back only past the file's end.
 */
export async function httpRange(url: string, offset: number, length: number, options: HttpSourceOptions = {}): Promise<Buffer> {
  const retries = options.retries ?? 8;
  const timeout = options.timeoutMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      const headers: Record<string, string> = { ...options.headers, 'user-agent': 'anvil-agent', range: `bytes=${offset}-${offset + length - 1}` };
      const res = await request(url, { headers, dispatcher: dispatcher(), headersTimeout: timeout, bodyTimeout: timeout });
      if (retryableStatus(res.statusCode)) {
        await res.body.dump();
        throw new Retryable(`HTTP ${res.statusCode}`);
      }
      if (res.statusCode === 416) {
        await res.body.dump();
        return Buffer.alloc(0); // wholly past the end
      }
      if (res.statusCode >= 400) {
        await res.body.dump();
        throw new AnvilError('image.http_error', `GET ${redactUrl(url)} (bytes ${offset}+${length}) answered HTTP ${res.statusCode}`, { status: res.statusCode }, 502);
      }
      const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
      if (res.statusCode !== 206 || !range || Number(range[1]) !== offset) {
        res.body.destroy();
        throw new AnvilError('image.range_unsupported', `GET ${redactUrl(url)} ignored the range request for bytes ${offset}-${offset + length - 1} (HTTP ${res.statusCode}${range ? `, ${range[0]}` : ''}); a qcow2 image is read out of order and needs a server with Range support`, { status: res.statusCode });
      }
      const want = Math.min(length, Number(range[2]) - offset + 1);
      const out = Buffer.allocUnsafe(want);
      let got = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        // A server may send past the range asked for (ours asks for an end; some answer to the file's end).
        const take = Math.min(chunk.length, want - got);
        chunk.copy(out, got, 0, take);
        got += take;
        if (got === want) break;
      }
      if (got < want) throw new Retryable(`connection closed after ${got} of ${want} bytes`);
      if (!res.body.destroyed) await res.body.dump().catch(() => undefined);
      return out;
    } catch (err) {
      if (err instanceof AnvilError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      if (attempt >= retries) throw new AnvilError('image.download_failed', `GET ${redactUrl(url)} (bytes ${offset}+${length}) failed after ${attempt + 1} attempts: ${why}`, { offset, length }, 502);
      const delay = retryDelayMs(attempt + 1, { retries, baseDelayMs: options.retryDelayMs ?? 500, maxDelayMs: 10_000 });
      options.log?.warn({ url: redactUrl(url), offset, length, attempt: attempt + 1, retry_in_ms: delay, why }, 'range request failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
