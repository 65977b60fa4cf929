/*
 * The one retry policy of Anvil's HTTP clients: the OpenStack clients (axios, through axios-retry), the
 * agent's downloads and plan fetches (undici) and the command line (undici). Which library sends a
 * request differs; when to ask again, and after how long, does not.
 *
 * - Bounded: `retries` attempts after the first.
 * - Exponential backoff with "equal jitter" (half the delay fixed, half random), so that many agents
 *   failing together do not come back together.
 * - An answer that says the server did nothing (429, 503, and the caller's own, e.g. Ironic's 409 "node
 *   locked") is retried whatever the method. A gateway's 502/504, a timeout or a dropped connection may
 *   come after the server acted: only idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) are retried
 *   then, or a write the caller declares idempotent. A connection that was never made is retried always.
 * - Other 4xx and 500 are answers, not accidents: never retried.
 */

export interface RetryPolicy {
  /** Attempts after the first. */
  readonly retries: number;
  /** The delay before the first retry; doubled each time. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 4000 };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Statuses by which a server says it did not act: safe to repeat any request. */
export const NOT_DONE_STATUSES: readonly number[] = [429, 503];
/** Statuses of a gateway that may have passed the request on: safe to repeat idempotent requests only. */
export const GATEWAY_STATUSES: readonly number[] = [502, 504];
/** Errors of a connection that was never made: the server saw nothing. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function isIdempotent(method: string | undefined): boolean {
  return IDEMPOTENT.has((method ?? 'GET').toUpperCase());
}

/** How a request failed, whichever library sent it. */
export type Failure =
  | { readonly kind: 'status'; readonly status: number }
  /** No answer: `code` is the system or library error code when known (ECONNRESET, UND_ERR_SOCKET, …). */
  | { readonly kind: 'network'; readonly code?: string }
  | { readonly kind: 'timeout' };

export interface RetryRequest {
  readonly method?: string;
  /** A write that may be repeated safely (e.g. a PATCH that sets absolute values). */
  readonly idempotent?: boolean;
  /** More statuses meaning "not done, ask again" for this service (Ironic: 409 while a node is locked). */
  readonly retryStatuses?: readonly number[];
}

export function isRetryable(f: Failure, req: RetryRequest = {}): boolean {
  const repeatable = req.idempotent ?? isIdempotent(req.method);
  switch (f.kind) {
    case 'status':
      return NOT_DONE_STATUSES.includes(f.status) || (req.retryStatuses ?? []).includes(f.status) || (repeatable && GATEWAY_STATUSES.includes(f.status));
    case 'network':
      return repeatable || (f.code !== undefined && NOT_CONNECTED.has(f.code));
    case 'timeout':
      return repeatable;
  }
}

/** The delay before retry number `retry` (1-based). `random` is for tests. */
export function retryDelayMs(retry: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

export interface WithRetryOptions {
  readonly policy?: RetryPolicy;
  /** Whether a failure is worth another attempt (see isRetryable); false ends at once. */
  readonly retryable: (err: unknown) => boolean;
  /** Before each wait: to log the retry. */
  readonly onRetry?: (err: unknown, retry: number, delayMs: number) => void;
  readonly signal?: AbortSignal;
}

/** Runs `attempt` until it succeeds, fails for good, or the policy's retries are spent (the last error is thrown). */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, o: WithRetryOptions): Promise<T> {
  const policy = o.policy ?? DEFAULT_RETRY_POLICY;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= policy.retries || !o.retryable(err) || o.signal?.aborted) throw err;
      const delay = retryDelayMs(n + 1, policy);
      o.onRetry?.(err, n + 1, delay);
      await sleep(delay, o.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
