import { request } from 'undici';
import type { InventoryT, Logger } from '@anvil/shared';
import { CAPABILITY_HEADER, type ProgressReport } from '@anvil/shared/protocol';
import type { ProgressEvent, Reporter } from './events';

/** Where a capability URL takes progress reports (built by shared/src/protocol/capability.ts). */
export { reportTarget } from '@anvil/shared/protocol';

/**
 * Sends progress events to the driver-service in batches: stage and final events at once, byte progress
 * at most every `intervalMs`. Best effort: a service that does not answer never slows or fails a deploy.
 */
export class HttpReporter implements Reporter {
  private queue: ProgressEvent[] = [];
  private lastProgress?: ProgressEvent;
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: { url: string; capability: string },
    private readonly log: Logger,
    private readonly intervalMs = 1000,
    /** The bootstrap image the agent runs from (`anvil.bootstrap=`), sent with every report. */
    private readonly bootstrapUuid?: string,
  ) {}

  emit(event: ProgressEvent): void {
    if (event.type === 'progress') {
      this.lastProgress = event; // only the latest byte count matters
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
      return;
    }
    if (this.lastProgress) {
      this.queue.push(this.lastProgress);
      this.lastProgress = undefined;
    }
    this.queue.push(event);
    this.flush();
  }

  /**
   * The disks this agent sees, in a report of its own (sent now, after what is queued): a service that does
   * not know the field refuses that report only, never the progress.
   */
  inventory(inventory: InventoryT): void {
    this.flush();
    this.sending = this.sending.then(() => this.send([], inventory));
  }

  /** Resolves once everything emitted so far was sent (or given up on). */
  async drain(): Promise<void> {
    this.flush();
    await this.sending;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lastProgress) {
      this.queue.push(this.lastProgress);
      this.lastProgress = undefined;
    }
    if (!this.queue.length) return;
    const events = this.queue;
    this.queue = [];
    this.sending = this.sending.then(() => this.send(events));
  }

  private async send(events: ProgressEvent[], inventory?: InventoryT): Promise<void> {
    try {
      const res = await request(this.target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CAPABILITY_HEADER]: this.target.capability },
        body: JSON.stringify({ events, ...(this.bootstrapUuid ? { bootstrap_uuid: this.bootstrapUuid } : {}), ...(inventory ? { inventory } : {}) } satisfies ProgressReport),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.log.warn({ status: res.statusCode }, 'the driver-service refused a progress report');
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'progress report not delivered');
    }
  }
}
