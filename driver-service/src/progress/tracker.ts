import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { DeploymentT, Repository } from '../store/repository';

/** The agent's progress events (agent/src/report/events.ts), as they arrive over HTTP. */
export const ProgressEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('stage'), seq: z.number().int(), total: z.number().int(), kind: z.string(), id: z.string(), status: z.enum(['start', 'end']), result: z.enum(['ok', 'skipped', 'failed']).optional(), error: z.object({ code: z.string(), message: z.string() }).optional() }),
  z.looseObject({ type: z.literal('progress'), seq: z.number().int(), id: z.string(), bytes: z.number().int().nonnegative(), total: z.number().int().nonnegative().optional(), rateBps: z.number().nonnegative(), etaSeconds: z.number().nonnegative().optional() }),
  z.looseObject({ type: z.literal('done'), result: z.enum(['ok', 'failed']), durationMs: z.number().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() }),
]);
export const ProgressReport = z.strictObject({ events: z.array(ProgressEvent).max(1000) });
export type ProgressEventT = z.infer<typeof ProgressEvent>;

const ACTIVE = ['planned', 'running'];

/** Deployments: one per deploy of a node, advanced by the agent's events; watchers are told of each change. */
export class DeploymentTracker {
  private readonly bus = new EventEmitter();

  constructor(private readonly repo: Repository) {
    this.bus.setMaxListeners(0);
  }

  /** The node's deployment in progress, or a new one (the first plan fetch of a deploy). */
  async begin(nodeUuid: string, layout: string): Promise<DeploymentT> {
    const current = await this.repo.latestDeployment(nodeUuid);
    if (current && !current.closed_at) return current;
    const now = new Date().toISOString();
    const d: DeploymentT = { id: randomUUID(), node_uuid: nodeUuid, layout, state: 'planned', stage: null, step: null, steps: null, bytes: null, bytes_total: null, rate_bps: null, eta_seconds: null, error: null, started_at: now, updated_at: now, closed_at: null };
    // Two replicas may begin it at once: the database keeps one open deployment per node.
    const open = await this.repo.insertOpenDeployment(d);
    if (open.id === d.id) this.emit(open);
    return open;
  }

  /** Deployments Ironic has not shown over yet. */
  open(): Promise<DeploymentT[]> {
    return this.repo.openDeployments();
  }

  async apply(nodeUuid: string, events: readonly ProgressEventT[]): Promise<DeploymentT | undefined> {
    let d = await this.repo.latestDeployment(nodeUuid);
    if (!d || d.closed_at || !ACTIVE.includes(d.state)) return undefined;
    for (const e of events) {
      d = { ...d, state: d.state === 'planned' ? 'running' : d.state };
      if (e.type === 'stage') {
        d = { ...d, stage: `${e.kind} ${e.id}`, step: e.seq, steps: e.total };
        if (e.status === 'end' && e.result === 'failed' && e.error) d = { ...d, error: `${e.error.message} [${e.error.code}]` };
      } else if (e.type === 'progress') {
        d = { ...d, bytes: e.bytes, bytes_total: e.total ?? null, rate_bps: Math.round(e.rateBps), eta_seconds: e.etaSeconds !== undefined ? Math.round(e.etaSeconds) : null };
      } else {
        d = { ...d, state: e.result === 'ok' ? 'succeeded' : 'failed', ...(e.error ? { error: `${e.error.message} [${e.error.code}]` } : {}) };
      }
    }
    d = { ...d, updated_at: new Date().toISOString() };
    await this.repo.updateDeployment(d);
    this.emit(d);
    return d;
  }

  /** Ironic says the deploy is over: its outcome is final (the agent may never have said so). */
  async close(d: DeploymentT, state: 'succeeded' | 'failed', error: string | null): Promise<DeploymentT> {
    const now = new Date().toISOString();
    const next: DeploymentT = { ...d, state, error: state === 'failed' ? (error ?? d.error) : d.error, updated_at: now, closed_at: now };
    await this.repo.updateDeployment(next);
    this.emit(next);
    return next;
  }

  subscribe(nodeUuid: string, listener: (d: DeploymentT) => void): () => void {
    this.bus.on(nodeUuid, listener);
    return () => this.bus.off(nodeUuid, listener);
  }

  private emit(d: DeploymentT): void {
    this.bus.emit(d.node_uuid, d);
  }
}
