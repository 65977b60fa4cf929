import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { AnvilError, type Logger } from '@anvil/shared';

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

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?…' : '';
    return u.toString();
  } catch {
    return '<url>';
  }
}

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
      if (res.statusCode >= 500 || res.statusCode === 429) {
        await res.body.dump();
        throw new Retryable(`HTTP ${res.statusCode}`);
      }
      if (res.statusCode >= 400) {
        await res.body.dump();
        throw new AnvilError('image.http_error', `GET ${redact(url)} answered HTTP ${res.statusCode}`, { status: res.statusCode }, 502);
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
          throw new AnvilError('image.resume_refused', `GET ${redact(url)} did not resume at byte ${offset} (HTTP ${res.statusCode})`);
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
          throw new AnvilError('image.length_mismatch', `GET ${redact(url)} sent more than its Content-Length of ${total} bytes`);
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
        throw new AnvilError(code, `GET ${redact(url)} failed after ${attempt + 1} attempts at byte ${offset}${total !== undefined ? ` of ${total}` : ''}: ${why}`, { offset, total }, 502);
      }
      options.log?.warn({ url: redact(url), offset, attempt: attempt + 1, why }, 'download interrupted; resuming');
      await new Promise((r) => setTimeout(r, Math.min(10_000, (options.retryDelayMs ?? 500) * 2 ** attempt)));
    }
  }
}
