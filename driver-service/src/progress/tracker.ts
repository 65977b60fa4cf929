import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProgressEvent } from '@anvil/shared/protocol';
import type { DeploymentT, Repository } from '../store/repository';

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
    const d: DeploymentT = { id: randomUUID(), node_uuid: nodeUuid, layout, state: 'planned', stage: null, step: null, steps: null, bytes: null, bytes_total: null, rate_bps: null, eta_seconds: null, error: null, bootstrap_uuid: null, started_at: now, updated_at: now, closed_at: null };
    // Two replicas may begin it at once: the database keeps one open deployment per node.
    const open = await this.repo.insertOpenDeployment(d);
    if (open.id === d.id) this.emit(open);
    return open;
  }

  /** Deployments Ironic has not shown over yet. */
  open(): Promise<DeploymentT[]> {
    return this.repo.openDeployments();
  }

  async apply(nodeUuid: string, events: readonly ProgressEvent[], bootstrapUuid?: string): Promise<DeploymentT | undefined> {
    const d = await this.advance(this.repo, nodeUuid, events, bootstrapUuid);
    if (d) this.emit(d);
    return d;
  }

  /**
   * Several nodes' reports in one transaction (the progress writer's batch): each node's events in the order
   * they came, and `also` (more writes of the same batch) in the same transaction. Watchers are told once it
   * is committed. Returns the deployments updated.
   */
  async applyAll(reports: readonly { nodeUuid: string; events: readonly ProgressEvent[]; bootstrapUuid?: string | undefined }[], also?: (trx: Repository) => Promise<void>): Promise<(DeploymentT | undefined)[]> {
    const updated = await this.repo.transaction(async (trx) => {
      const out: (DeploymentT | undefined)[] = [];
      for (const r of reports) {
        out.push(await this.advance(trx, r.nodeUuid, r.events, r.bootstrapUuid));
        if (r.bootstrapUuid !== undefined) await trx.setNodeBootstrap(r.nodeUuid, r.bootstrapUuid);
      }
      await also?.(trx);
      return out;
    });
    for (const d of updated) if (d) this.emit(d);
    return updated;
  }

  /** The node's open deployment advanced by the events, written through `repo`; undefined when it has none. */
  private async advance(repo: Repository, nodeUuid: string, events: readonly ProgressEvent[], bootstrapUuid?: string): Promise<DeploymentT | undefined> {
    let d = await repo.latestDeployment(nodeUuid);
    if (!d || d.closed_at || !ACTIVE.includes(d.state)) return undefined;
    if (bootstrapUuid !== undefined) d = { ...d, bootstrap_uuid: bootstrapUuid };
    for (const e of events) {
      d = { ...d, state: d.state === 'planned' ? 'running' : d.state };
      if (e.type === 'stage') {
        d = { ...d, stage: `${e.kind} ${e.id}`, step: e.seq, steps: e.total };
        if (e.status === 'end' && e.result === 'failed' && e.error) d = { ...d, error: `${e.error.message} [${e.error.code}]` };
      } else if (e.type === 'progress') {
        d = { ...d, bytes: e.bytes, bytes_total: e.total ?? null, rate_bps: Math.round(e.rate_bps), eta_seconds: e.eta_seconds !== undefined ? Math.round(e.eta_seconds) : null };
      } else {
        d = { ...d, state: e.result === 'ok' ? 'succeeded' : 'failed', ...(e.error ? { error: `${e.error.message} [${e.error.code}]` } : {}) };
      }
    }
    d = { ...d, updated_at: new Date().toISOString() };
    await repo.updateDeployment(d);
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
