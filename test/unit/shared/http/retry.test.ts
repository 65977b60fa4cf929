import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs, withRetry } from '@anvil/shared/http';

describe('the retry policy', () => {
  it('retries a "not done" answer whatever the method, a gateway error only for idempotent requests', () => {
    expect(isRetryable({ kind: 'status', status: 503 }, { method: 'POST' })).toBe(true);
    expect(isRetryable({ kind: 'status', status: 429 }, { method: 'PATCH' })).toBe(true);
    expect(isRetryable({ kind: 'status', status: 409 }, { method: 'PATCH', retryStatuses: [409] })).toBe(true);
    expect(isRetryable({ kind: 'status', status: 502 }, { method: 'GET' })).toBe(true);
    expect(isRetryable({ kind: 'status', status: 502 }, { method: 'POST' })).toBe(false);
    expect(isRetryable({ kind: 'status', status: 504 }, { method: 'POST', idempotent: true })).toBe(true);
    expect(isRetryable({ kind: 'status', status: 500 }, { method: 'GET' })).toBe(false);
    expect(isRetryable({ kind: 'status', status: 404 }, { method: 'GET' })).toBe(false);
  });

  it('retries timeouts and dropped connections of idempotent requests; a connection never made always', () => {
    expect(isRetryable({ kind: 'timeout' }, { method: 'get' })).toBe(true);
    expect(isRetryable({ kind: 'timeout' }, { method: 'patch' })).toBe(false);
    expect(isRetryable({ kind: 'network', code: 'ECONNRESET' }, { method: 'POST' })).toBe(false);
    expect(isRetryable({ kind: 'network', code: 'ECONNREFUSED' }, { method: 'POST' })).toBe(true);
    expect(isRetryable({ kind: 'network' }, { method: 'DELETE' })).toBe(true);
  });

  it('backs off exponentially with equal jitter, up to a bound', () => {
    const p = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, p, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, p, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(DEFAULT_RETRY_POLICY.retries).toBeGreaterThan(0);
  });

  it('withRetry stops at the bound, and at once on what is not retryable', async () => {
    let calls = 0;
    const fail = (): Promise<never> => {
      calls += 1;
      return Promise.reject(new Error(`try ${calls}`));
    };
    await expect(withRetry(fail, { policy: { retries: 2, baseDelayMs: 1, maxDelayMs: 1 }, retryable: () => true })).rejects.toThrow('try 3');
    calls = 0;
    await expect(withRetry(fail, { policy: { retries: 5, baseDelayMs: 1, maxDelayMs: 1 }, retryable: () => false })).rejects.toThrow('try 1');
    await expect(withRetry((n) => (n < 2 ? Promise.reject(new Error('x')) : Promise.resolve(n)), { policy: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 }, retryable: () => true })).resolves.toBe(2);
  });
});
