import { request } from 'undici';
import { z } from 'zod';
import { AnvilError, type Logger } from '@anvil/shared';
import { retryDelayMs, type RetryPolicy } from '@anvil/shared/http';

/** Lookup waits for the node to be deployed or cleaned: bounded by a deadline, not a count; the delay grows to 30 s. */
const LOOKUP_BACKOFF: RetryPolicy = { retries: Infinity, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** Lookup creates and returns the agent token only from this microversion on. */
const TOKEN_VERSION = [1, 62] as const;
/** Heartbeats are sent at min(server max, 1.68), as IPA does (agent_verify_ca arrived with 1.68). */
const HEARTBEAT_VERSION = [1, 68] as const;

type Version = readonly [number, number];
const fmt = (v: Version): string => `${v[0]}.${v[1]}`;
const below = (a: Version, b: Version): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const min = (a: Version, b: Version): Version => (below(a, b) ? a : b);

export const LookupResponse = z.looseObject({
  node: z.looseObject({
    uuid: z.string(),
    properties: z.record(z.string(), z.unknown()).optional(),
    instance_info: z.record(z.string(), z.unknown()).optional(),
    driver_internal_info: z.record(z.string(), z.unknown()).optional(),
  }),
  config: z.looseObject({
    heartbeat_timeout: z.number().positive().default(300),
    agent_token: z.string().nullish(),
    agent_token_required: z.boolean().optional(),
    permitted_image_formats: z.array(z.string()).optional(),
    disable_deep_image_inspection: z.boolean().optional(),
  }),
});
export type LookupResponseT = z.infer<typeof LookupResponse>;

/** The agent's side of Ironic's ramdisk API: version discovery, lookup, heartbeat. */
export class IronicRamdiskApi {
  private maxVersion?: Version;

  constructor(
    private readonly apiUrl: string,
    private readonly log: Logger,
    private readonly globalRequestId?: string,
  ) {}

  private url(path: string): string {
    return this.apiUrl.replace(/\/+$/, '') + path;
  }

  private headers(version?: Version): Record<string, string> {
    return {
      accept: 'application/json',
      ...(version ? { 'x-openstack-ironic-api-version': fmt(version) } : {}),
      ...(this.globalRequestId ? { 'x-openstack-request-id': this.globalRequestId } : {}),
    };
  }

  /** `GET /`: the highest microversion the server speaks. */
  async serverVersion(): Promise<Version> {
    if (this.maxVersion) return this.maxVersion;
    const res = await request(this.url('/'), { headers: this.headers(), headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = (await res.body.json()) as { default_version?: { version?: string } };
    const m = /^(\d+)\.(\d+)$/.exec(body.default_version?.version ?? '');
    if (res.statusCode !== 200 || !m) throw new AnvilError('agent.ironic_version', `GET ${this.url('/')} answered ${res.statusCode} without a default_version`);
    this.maxVersion = [Number(m[1]), Number(m[2])];
    return this.maxVersion;
  }

  /**
   * Looks the node up by MAC addresses (and UUID), retrying with jittered backoff while the node is not
   * yet waiting for an agent (404), is locked (409) or the API is unreachable, until `timeoutMs`.
   */
  async lookup(addresses: readonly string[], nodeUuid: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<LookupResponseT> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const delay = retryDelayMs(attempt, LOOKUP_BACKOFF);
      let why: string;
      try {
        const max = await this.serverVersion();
        if (below(max, TOKEN_VERSION)) throw new AnvilError('agent.ironic_too_old', `Ironic speaks up to API ${fmt(max)}; the agent needs ${fmt(TOKEN_VERSION)} (agent tokens)`);
        const v = TOKEN_VERSION;
        const q = new URLSearchParams();
        if (addresses.length) q.set('addresses', addresses.join(','));
        if (nodeUuid) q.set('node_uuid', nodeUuid);
        const res = await request(`${this.url('/v1/lookup')}?${q.toString()}`, { headers: this.headers(v), headersTimeout: 15_000, bodyTimeout: 15_000, ...(signal ? { signal } : {}) });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          const parsed = LookupResponse.safeParse(JSON.parse(text));
          if (!parsed.success) throw new AnvilError('agent.lookup_unreadable', `lookup answered 200 with a body the agent does not understand: ${parsed.error.issues[0]?.message ?? ''}`);
          this.log.info({ node_uuid: parsed.data.node.uuid, attempt, heartbeat_timeout: parsed.data.config.heartbeat_timeout }, 'lookup found the node');
          return parsed.data;
        }
        why = `${res.statusCode} ${text.slice(0, 200)}`;
      } catch (err) {
        if (err instanceof AnvilError) throw err;
        if (signal?.aborted) throw new AnvilError('agent.stopped', 'the agent was stopped during lookup');
        why = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() + delay > deadline) {
        throw new AnvilError('agent.lookup_timeout', `Ironic did not return a node for ${[...addresses, ...(nodeUuid ? [nodeUuid] : [])].join(', ')} within ${Math.round(timeoutMs / 1000)} s (last answer: ${why}); is a port with this MAC enrolled and the node deploying or cleaning?`);
      }
      this.log.info({ attempt, why, retry_in_ms: delay }, 'lookup: node not available yet');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** `POST /v1/heartbeat/{uuid}`: 202 on success; a 4xx carries Ironic's reason. */
  async heartbeat(nodeUuid: string, body: { callback_url: string; agent_token: string | undefined; agent_version: string }): Promise<{ ok: boolean; status: number; message?: string }> {
    const v = min(await this.serverVersion(), HEARTBEAT_VERSION);
    const res = await request(this.url(`/v1/heartbeat/${nodeUuid.toLowerCase()}`), {
      method: 'POST',
      headers: { ...this.headers(v), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await res.body.text();
    if (res.statusCode === 202 || res.statusCode === 200) return { ok: true, status: res.statusCode };
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error_message?: string };
      if (typeof parsed.error_message === 'string') message = (JSON.parse(parsed.error_message) as { faultstring?: string }).faultstring ?? parsed.error_message;
    } catch {
      // not JSON: keep the text
    }
    return { ok: false, status: res.statusCode, message };
  }
}
