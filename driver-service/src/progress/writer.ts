import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from '@anvil/shared';
import type { ProgressEvent } from '@anvil/shared/protocol';
import type { DeploymentTracker } from './tracker';

interface QueuedReport {
  nodeUuid: string;
  events: ProgressEvent[];
  bootstrapUuid?: string | undefined;
  /** How many agent reports were merged into this entry (for the metric). */
  reports: number;
  /** Put back after a failed write (it is dropped if that fails again). */
  retried?: boolean;
}

interface AuditRow {
  at: string;
  node_uuid: string;
  source: string | null;
  action: string;
  outcome: string;
  retried?: boolean;
}

export interface ProgressWriterOptions {
  /** How often the queue is written (one transaction per `perTransaction` nodes). */
  readonly flushMs: number;
  /** Nodes per transaction; the event loop gets a turn between transactions. */
  readonly perTransaction?: number;
  /** Called per agent report once written: `recorded` or `no deployment` (its deploy is not open). */
  readonly counted?: (outcome: 'recorded' | 'no deployment', n: number) => void;
}

/**
 * Progress reports and audit records, written in batches: a report is answered (202) once it is
 * authorised and valid, and queued; every `flushMs` the queue is written, each node's events in the order
 * they came, in transactions of `perTransaction` nodes, and only then are watchers (server-sent events)
 * told. A thousand agents reporting each second cost a few transactions a second instead of three
 * statements per report on the request's path. What is queued when the process dies is lost (at most
 * `flushMs` of reports; the agent's next report carries the bytes again); stop() writes what is queued.
 */
export class ProgressWriter {
  private reports = new Map<string, QueuedReport>();
  private audits: AuditRow[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private readonly perTransaction: number;

  constructor(
    private readonly tracker: DeploymentTracker,
    private readonly log: Logger,
    private readonly o: ProgressWriterOptions,
  ) {
    this.perTransaction = o.perTransaction ?? 200;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Queues an agent's report; several reports of one node before a write are applied in order. */
  report(nodeUuid: string, events: readonly ProgressEvent[], bootstrapUuid?: string): void {
    const q = this.reports.get(nodeUuid);
    if (q) {
      q.events.push(...events);
      if (bootstrapUuid !== undefined) q.bootstrapUuid = bootstrapUuid;
      q.reports++;
    } else {
      this.reports.set(nodeUuid, { nodeUuid, events: [...events], bootstrapUuid, reports: 1 });
    }
  }

  /** Queues an audit record (its time is now, not the write's). */
  audit(nodeUuid: string, source: string | undefined, action: string, outcome: string): void {
    this.audits.push({ at: new Date().toISOString(), node_uuid: nodeUuid, source: source ?? null, action, outcome });
  }

  /** Writes what is queued now (after a write in progress, if any). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.reports.size && !this.audits.length) return;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private putBack(reports: readonly QueuedReport[], audits: readonly AuditRow[]): void {
    const later = this.reports;
    this.reports = new Map(reports.map((r) => [r.nodeUuid, { ...r, retried: true }]));
    for (const r of later.values()) {
      const q = this.reports.get(r.nodeUuid);
      if (q) {
        q.events.push(...r.events);
        q.bootstrapUuid = r.bootstrapUuid ?? q.bootstrapUuid;
        q.reports += r.reports;
      } else this.reports.set(r.nodeUuid, r);
    }
    this.audits = [...audits.map((a) => ({ ...a, retried: true })), ...this.audits];
  }

  private async write(): Promise<void> {
    const reports = [...this.reports.values()];
    const audits = this.audits;
    this.reports = new Map();
    this.audits = [];
    for (let i = 0; i < Math.max(reports.length, audits.length); i += this.perTransaction) {
      const part = reports.slice(i, i + this.perTransaction);
      const auditPart = audits.slice(i, i + this.perTransaction);
      try {
        const rows = auditPart.map((a) => ({ at: a.at, node_uuid: a.node_uuid, source: a.source, action: a.action, outcome: a.outcome }));
        const updated = await this.tracker.applyAll(part, (trx) => trx.auditMany(rows));
        const count = (outcome: 'recorded' | 'no deployment'): number => part.reduce((n, r, j) => n + (((updated[j] ? 'recorded' : 'no deployment') === outcome) ? r.reports : 0), 0);
        this.o.counted?.('recorded', count('recorded'));
        this.o.counted?.('no deployment', count('no deployment'));
      } catch (err) {
        // Put back once, before what came since (a busy database); dropped if it fails again: reporting is
        // best effort, and the agent's next reports carry the bytes again.
        const again = part.filter((r) => !r.retried);
        const auditsAgain = auditPart.filter((a) => !a.retried);
        this.log.warn({ err: err instanceof Error ? err.message : String(err), reports: part.length, audits: auditPart.length, retried: again.length + auditsAgain.length }, 'could not write progress reports and audit records');
        this.putBack(again, auditsAgain);
      }
      await yieldToLoop();
    }
  }
}
