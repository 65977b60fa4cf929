import { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import axiosRetry from 'axios-retry';
import { AnvilError } from '../errors/anvil-error';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs, type Failure } from '../http/retry';

export interface HttpClientOptions {
  readonly baseURL: string;
  readonly timeoutMs?: number;
  /** Attempts after the first, on the failures shared/src/http/retry.ts calls retryable. */
  readonly retries?: number;
  /** More statuses that mean "not done, ask again" for this service (Ironic: 409, node locked). */
  readonly retryStatuses?: readonly number[];
  readonly headers?: Record<string, string>;
  /** PEM certificates to trust for https (a cloud's `cacert`), instead of the system's. */
  readonly ca?: string;
}

/** How an axios request failed, in the shared policy's terms. */
export function axiosFailure(e: AxiosError): Failure {
  if (e.response) return { kind: 'status', status: e.response.status };
  if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') return { kind: 'timeout' };
  return { kind: 'network', ...(e.code !== undefined ? { code: e.code } : {}) };
}

/**
 * An axios instance with a timeout and the shared retry policy. The OpenStack clients stay on axios
 * (its interceptors carry token renewal and the nock-tested failure paths); the agent's streaming
 * downloads need undici's backpressure, so two libraries remain, with one policy.
 */
export function httpClient(o: HttpClientOptions): AxiosInstance {
  const client = axios.create({ baseURL: o.baseURL.replace(/\/+$/, ''), timeout: o.timeoutMs ?? 30_000, headers: { ...o.headers }, validateStatus: (s) => s >= 200 && s < 300, ...(o.ca ? { httpsAgent: new HttpsAgent({ ca: o.ca, keepAlive: true }) } : {}) });
  const policy = { ...DEFAULT_RETRY_POLICY, retries: o.retries ?? DEFAULT_RETRY_POLICY.retries };
  axiosRetry(client, {
    retries: policy.retries,
    retryDelay: (n) => retryDelayMs(n, policy),
    // Each attempt gets the whole timeout.
    shouldResetTimeout: true,
    retryCondition: (e) => isRetryable(axiosFailure(e), { method: e.config?.method, retryStatuses: o.retryStatuses ?? [] }),
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
