import type { Logger } from '@anvil/shared';
import type { ProgressEvent, Reporter } from '../report/events';

/** Progress as log lines: every stage event, byte progress at most every `intervalMs`. */
export class LogReporter implements Reporter {
  private last = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  emit(e: ProgressEvent): void {
    if (e.type === 'progress') {
      const now = Date.now();
      if (now - this.last < this.intervalMs && e.bytes !== e.total) return;
      this.last = now;
    }
    this.log.info({ progress: e }, e.type === 'stage' ? `${e.kind} ${e.id}: ${e.status}` : e.type);
  }
}
