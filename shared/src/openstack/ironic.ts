import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import { httpClient, toServiceError, withTokenRenewal } from './http';

/** The microversion Anvil speaks to the Ironic API (2023.1 serves up to 1.82). */
export const IRONIC_MICROVERSION = '1.80';

export const IronicNode = z.looseObject({
  uuid: z.string(),
  name: z.string().nullish(),
  driver: z.string(),
  provision_state: z.string(),
  target_provision_state: z.string().nullish(),
  power_state: z.string().nullish(),
  maintenance: z.boolean().optional(),
  last_error: z.string().nullish(),
  deploy_interface: z.string().nullish(),
  driver_info: z.record(z.string(), z.unknown()).default({}),
  driver_internal_info: z.record(z.string(), z.unknown()).default({}),
  instance_info: z.record(z.string(), z.unknown()).default({}),
  properties: z.record(z.string(), z.unknown()).default({}),
  traits: z.array(z.string()).nullish(),
  deploy_step: z.record(z.string(), z.unknown()).nullish(),
  clean_step: z.record(z.string(), z.unknown()).nullish(),
  provision_updated_at: z.string().nullish(),
});
export type IronicNodeT = z.infer<typeof IronicNode>;

export const IronicPort = z.looseObject({ uuid: z.string(), address: z.string(), node_uuid: z.string().optional(), pxe_enabled: z.boolean().optional() });
export type IronicPortT = z.infer<typeof IronicPort>;

export type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };
export type ProvisionTarget = 'manage' | 'provide' | 'inspect' | 'active' | 'deleted' | 'rebuild' | 'clean' | 'abort' | 'adopt' | 'deploy' | 'undeploy';

export interface IronicClientOptions {
  readonly endpoint: string;
  readonly microversion?: string;
  /** Returns the Keystone token to send; none under noauth. */
  readonly token?: () => Promise<string | undefined>;
  /** Called when Ironic answers 401 (the token expired or was revoked mid-use); the request is retried once with a new token. */
  readonly tokenRejected?: () => void;
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** PEM certificates to trust for an https endpoint. */
  readonly ca?: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called with every node read while waiting (progress display). */
  readonly onPoll?: (node: IronicNodeT) => void;
}

/** States a provision action ends in when it failed. */
export const IRONIC_FAILED_STATES = ['deploy failed', 'clean failed', 'inspect failed', 'error', 'rescue failed', 'adopt failed'];

/** Ironic's answer, checked: an answer of another shape is `ironic.bad_answer` naming the first difference (never a raw dump). */
function answer<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new AnvilError('ironic.bad_answer', `Ironic's answer to ${what} is not what Anvil expects: ${i?.path.join('.') || 'the body'}: ${i?.message ?? 'invalid'}`, {}, 502);
}

/** A typed client for the parts of the Ironic API Anvil uses. */
export class IronicClient {
  private readonly http: AxiosInstance;

  constructor(private readonly o: IronicClientOptions) {
    // 409 is "node locked" (the conductor is busy with it): retried like a transient failure.
    this.http = httpClient({
      baseURL: o.endpoint,
      timeoutMs: o.timeoutMs ?? 30_000,
      retries: o.retries ?? 6,
      retryStatuses: [409],
      ...(o.ca ? { ca: o.ca } : {}),
      headers: { 'X-OpenStack-Ironic-API-Version': o.microversion ?? IRONIC_MICROVERSION, 'Content-Type': 'application/json' },
    });
  }

  /** `GET /v1/`: the API answers (readiness checks). */
  async ping(): Promise<void> {
    await this.call('get', '/v1/', 'reading the API root');
  }

  async getNode(ident: string): Promise<IronicNodeT> {
    return answer(IronicNode, await this.call('get', `/v1/nodes/${encodeURIComponent(ident)}`, `reading node ${ident}`), `reading node ${ident}`);
  }

  async listNodes(params: Record<string, string> = {}): Promise<IronicNodeT[]> {
    const body = await this.call('get', '/v1/nodes', 'listing nodes', { params: { detail: 'true', ...params } });
    return answer(z.object({ nodes: z.array(IronicNode) }), body, 'listing nodes').nodes;
  }

  /** Nodes matching `params` with only `fields` (plus uuid and driver), all pages (marker paging). */
  async listNodeFields(params: Record<string, string>, fields: readonly string[]): Promise<IronicNodeT[]> {
    const out: IronicNodeT[] = [];
    const wanted = [...new Set(['uuid', 'driver', ...fields])].join(',');
    let marker: string | undefined;
    for (;;) {
      const body = await this.call('get', '/v1/nodes', 'listing nodes', { params: { ...params, fields: wanted, limit: '1000', ...(marker ? { marker } : {}) } });
      const page = answer(z.object({ nodes: z.array(IronicNode) }), body, 'listing nodes').nodes;
      out.push(...page);
      if (page.length < 1000) return out;
      marker = page.at(-1)!.uuid;
    }
  }

  async createNode(fields: Record<string, unknown>): Promise<IronicNodeT> {
    return answer(IronicNode, await this.call('post', '/v1/nodes', 'creating a node', { data: fields }), 'creating a node');
  }

  async patchNode(ident: string, ops: readonly JsonPatchOp[]): Promise<IronicNodeT> {
    return answer(IronicNode, await this.call('patch', `/v1/nodes/${encodeURIComponent(ident)}`, `updating node ${ident}`, { data: ops }), `updating node ${ident}`);
  }

  async deleteNode(ident: string): Promise<void> {
    await this.call('delete', `/v1/nodes/${encodeURIComponent(ident)}`, `deleting node ${ident}`);
  }

  async createPort(nodeUuid: string, address: string, extra: Record<string, unknown> = {}): Promise<IronicPortT> {
    return answer(IronicPort, await this.call('post', '/v1/ports', `creating a port for ${nodeUuid}`, { data: { node_uuid: nodeUuid, address, ...extra } }), `creating a port for ${nodeUuid}`);
  }

  async listPorts(nodeIdent: string): Promise<IronicPortT[]> {
    const body = await this.call('get', `/v1/nodes/${encodeURIComponent(nodeIdent)}/ports`, `listing ports of ${nodeIdent}`, { params: { detail: 'true' } });
    return answer(z.object({ ports: z.array(IronicPort) }), body, `listing ports of ${nodeIdent}`).ports;
  }

  /** `PUT /v1/nodes/{node}/states/provision`; answers 202 and the conductor works asynchronously. */
  async setProvisionState(ident: string, target: ProvisionTarget, extra: { configdrive?: unknown; deploy_steps?: unknown[]; clean_steps?: unknown[] } = {}): Promise<void> {
    await this.call('put', `/v1/nodes/${encodeURIComponent(ident)}/states/provision`, `moving node ${ident} to ${target}`, { data: { target, ...extra } });
  }

  async setPowerState(ident: string, target: 'power on' | 'power off' | 'rebooting' | 'soft power off' | 'soft rebooting'): Promise<void> {
    await this.call('put', `/v1/nodes/${encodeURIComponent(ident)}/states/power`, `power ${target} on ${ident}`, { data: { target } });
  }

  async setBootDevice(ident: string, bootDevice: 'pxe' | 'disk' | 'cdrom' | 'bios' | 'safe', persistent = false): Promise<void> {
    await this.call('put', `/v1/nodes/${encodeURIComponent(ident)}/management/boot_device`, `boot device ${bootDevice} on ${ident}`, { data: { boot_device: bootDevice, persistent } });
  }

  async vendorPassthru(ident: string, method: string, body: unknown, httpMethod: 'post' | 'get' = 'post'): Promise<unknown> {
    return this.call(httpMethod, `/v1/nodes/${encodeURIComponent(ident)}/vendor_passthru`, `vendor passthru ${method} on ${ident}`, { params: { method }, data: body });
  }

  /**
   * Polls the node until its provision state is one of `targets` with no transition pending. Reaching a
   * failed state that is not a target throws `ironic.provision_failed` with the node's last_error.
   */
  async waitForProvisionState(ident: string, targets: readonly string[], w: WaitOptions): Promise<IronicNodeT> {
    const deadline = Date.now() + w.timeoutMs;
    let node = await this.getNode(ident);
    for (;;) {
      w.onPoll?.(node);
      if (targets.includes(node.provision_state) && !node.target_provision_state) return node;
      if (IRONIC_FAILED_STATES.includes(node.provision_state)) {
        throw new AnvilError('ironic.provision_failed', `node ${node.uuid} is in ${node.provision_state}: ${node.last_error ?? 'no error recorded'}`, { node: node.uuid, state: node.provision_state, last_error: node.last_error ?? null });
      }
      if (Date.now() > deadline) {
        throw new AnvilError('ironic.wait_timeout', `node ${node.uuid} did not reach ${targets.join(' or ')} within ${Math.round(w.timeoutMs / 1000)} s (it is ${node.provision_state}${node.target_provision_state ? ` → ${node.target_provision_state}` : ''})`, { node: node.uuid, state: node.provision_state });
      }
      await new Promise((r) => setTimeout(r, w.intervalMs ?? 1000));
      node = await this.getNode(ident);
    }
  }

  private async call(method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, what: string, config: AxiosRequestConfig = {}): Promise<unknown> {
    const attempt = async (): Promise<unknown> => {
      const token = this.o.token ? await this.o.token() : undefined;
      const res = await this.http.request({ method, url, ...config, headers: { ...(token ? { 'X-Auth-Token': token } : {}), ...config.headers } });
      return res.data as unknown;
    };
    try {
      return await withTokenRenewal(attempt, this.o.token ? this.o.tokenRejected : undefined);
    } catch (err) {
      throw toServiceError('ironic', what, err);
    }
  }
}
