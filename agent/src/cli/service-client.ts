import { Agent, request, type Dispatcher } from 'undici';
import { AnvilError } from '@anvil/shared';
import { isRetryable, withRetry, type Failure } from '@anvil/shared/http';
import type { ServiceTarget } from './cli-cloud';

/**
 * The command line's calls to the driver-service, on undici like the rest of the agent (it was Node's
 * global fetch: the same engine underneath, but a third client with no retries). Retried by the shared
 * policy: reads and idempotent writes (PUT, DELETE) after a dropped connection or a 502/503/504; a POST
 * (adopt) only when the service said it did nothing.
 */

class Failed extends Error {
  constructor(
    readonly failure: Failure,
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceAnswer {
  readonly status: number;
  readonly data: unknown;
}

/** The connection pools that trust a cloud's CA bundle, one per bundle. */
const withCa = new Map<string, Dispatcher>();

/**
 * One call; any status is returned (the caller decides), only transport failures and retryable statuses are
 * retried. With credentials, the Keystone token goes in `X-Auth-Token`.
 */
export async function serviceRequest(target: ServiceTarget | string, method: string, path: string, body?: unknown, retries = 3): Promise<ServiceAnswer> {
  const t: ServiceTarget = typeof target === 'string' ? { url: target } : target;
  const service = t.url;
  const url = `${service.replace(/\/+$/, '')}${path}`;
  let dispatcher: Dispatcher | undefined;
  if (t.ca) {
    dispatcher = withCa.get(t.ca);
    if (!dispatcher) withCa.set(t.ca, (dispatcher = new Agent({ connect: { ca: t.ca } })));
  }
  try {
    return await withRetry(
      async () => {
        // Outside the transport's try: Keystone refusing the credentials is its own error, never retried here.
        const token = t.token ? await t.token() : undefined;
        let res;
        try {
          res = await request(url, {
            method: method as 'GET',
            headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            ...(dispatcher ? { dispatcher } : {}),
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          });
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          throw new Failed(code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? { kind: 'timeout' } : { kind: 'network', ...(typeof code === 'string' ? { code } : {}) }, err instanceof Error ? err.message : String(err));
        }
        const text = await res.body.text();
        if (isRetryable({ kind: 'status', status: res.statusCode }, { method })) throw new Failed({ kind: 'status', status: res.statusCode }, `HTTP ${res.statusCode}`);
        let data: unknown;
        try {
          data = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          data = text;
        }
        return { status: res.statusCode, data };
      },
      { policy: { retries, baseDelayMs: 500, maxDelayMs: 4000 }, retryable: (err) => err instanceof Failed && isRetryable(err.failure, { method }) },
    );
  } catch (err) {
    if (err instanceof AnvilError) throw err;
    if (err instanceof Failed && err.failure.kind === 'status') return { status: err.failure.status, data: undefined };
    throw new AnvilError('cli.service_unreachable', `the driver-service at ${service} did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
}
