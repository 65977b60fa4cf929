import axios, { AxiosError, type AxiosInstance } from 'axios';
import axiosRetry, { isNetworkError } from 'axios-retry';
import { AnvilError } from '../errors/anvil-error';

export interface HttpClientOptions {
  readonly baseURL: string;
  readonly timeoutMs?: number;
  /** Attempts after the first on network errors, 502/503/504 and the statuses in `retryStatuses`. */
  readonly retries?: number;
  readonly retryStatuses?: readonly number[];
  readonly headers?: Record<string, string>;
}

/** An axios instance with a timeout and retries with backoff for transient failures. */
export function httpClient(o: HttpClientOptions): AxiosInstance {
  const client = axios.create({ baseURL: o.baseURL.replace(/\/+$/, ''), timeout: o.timeoutMs ?? 30_000, headers: { ...o.headers }, validateStatus: (s) => s >= 200 && s < 300 });
  const extra = new Set(o.retryStatuses ?? []);
  axiosRetry(client, {
    retries: o.retries ?? 4,
    retryDelay: (n) => Math.min(4000, 250 * 2 ** (n - 1)) + Math.floor(Math.random() * 100),
    // Every method is retried: the services here answer 409 (node locked) or 503 before doing anything.
    // A read that timed out is asked again (each attempt gets the whole timeout); a write that timed out is not.
    shouldResetTimeout: true,
    retryCondition: (e) => isNetworkError(e) || (e.code === 'ECONNABORTED' && e.config?.method === 'get') || [502, 503, 504].includes(e.response?.status ?? 0) || extra.has(e.response?.status ?? 0),
  });
  return client;
}

/**
 * Runs a request; when the service answers 401 (a token expired or revoked mid-use) and `renew` is given,
 * renews the token and runs the request once more.
 */
export async function withTokenRenewal<T>(attempt: () => Promise<T>, renew?: () => void): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!renew || !(err instanceof AxiosError) || err.response?.status !== 401) throw err;
    renew();
    return attempt();
  }
}

/** The message an OpenStack service put in an error body (`error_message`, `error`, `faultstring`, …). */
export function serviceMessage(data: unknown): string | undefined {
  if (typeof data === 'string') {
    try {
      return serviceMessage(JSON.parse(data));
    } catch {
      return data.trim().slice(0, 500) || undefined;
    }
  }
  if (data === null || typeof data !== 'object') return undefined;
  const o = data as Record<string, unknown>;
  if (typeof o.error_message === 'string') return serviceMessage(o.error_message) ?? o.error_message;
  if (typeof o.faultstring === 'string') return o.faultstring;
  if (typeof o.error === 'object' && o.error !== null) {
    const e = o.error as Record<string, unknown>;
    if (typeof e.message === 'string') return e.message;
  }
  if (typeof o.message === 'string') return o.message;
  return undefined;
}

/** The OpenStack services Anvil calls; each has its `<service>.unreachable`, `.failed` and `.http_<status>` codes. */
export type OpenStackService = 'ironic' | 'glance' | 'keystone';

/**
 * Turns an axios failure into an AnvilError `<service>.http_<status>` (or `<service>.unreachable`). The status
 * comes from the catalogue: an HTTP answer keeps the service's own status, so a 404 from Ironic stays a 404.
 */
export function toServiceError(service: OpenStackService, what: string, err: unknown): AnvilError {
  if (err instanceof AnvilError) return err;
  if (err instanceof AxiosError) {
    const status = err.response?.status;
    if (status === undefined) return new AnvilError(`${service}.unreachable`, `${what}: ${service} did not answer (${err.code ?? err.message})`, {}, undefined, err);
    const msg = serviceMessage(err.response?.data) ?? err.message;
    return new AnvilError(`${service}.http_${status}`, `${what}: ${service} answered ${status}: ${msg}`, { status }, undefined, err);
  }
  return new AnvilError(`${service}.failed`, `${what}: ${err instanceof Error ? err.message : String(err)}`, {}, undefined, err);
}
