import type { Writable } from 'node:stream';
import { formatBytes } from '@anvil/shared';
import type { ProgressEvent, Reporter } from './events';

/** JSON lines, one event per line (for logs, pipes and the driver-service). */
export class JsonLinesReporter implements Reporter {
  constructor(private readonly out: Writable) {}
  emit(event: ProgressEvent): void {
    this.out.write(JSON.stringify({ ts: new Date().toISOString(), ...event }) + '\n');
  }
}

const human = (n: number): string => formatBytes(BigInt(Math.round(n)));

/** A progress line on a terminal: the stage, and a bar with rate and ETA while an image is written. */
export class TtyReporter implements Reporter {
  constructor(private readonly out: Writable & { columns?: number }) {}

  emit(event: ProgressEvent): void {
    if (event.type === 'stage' && event.status === 'start') {
      this.line(`[${event.seq}/${event.total}] ${event.kind} ${event.id} …`);
    } else if (event.type === 'stage') {
      const mark = event.result === 'ok' ? 'done' : event.result === 'skipped' ? 'skipped (already done)' : `FAILED: ${event.error?.message ?? ''}`;
      this.line(`[${event.seq}/${event.total}] ${event.kind} ${event.id} ${mark} (${(event.duration_ms / 1000).toFixed(1)} s)`, true);
    } else if (event.type === 'progress') {
      const width = 30;
      const frac = event.total ? Math.min(1, event.bytes / event.total) : 0;
      const bar = event.total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}% ` : '';
      const eta = event.eta_seconds !== undefined ? ` ETA ${event.eta_seconds}s` : '';
      this.line(`    ${event.id} ${bar}${human(event.bytes)}${event.total ? ` / ${human(event.total)}` : ''} at ${human(event.rate_bps)}/s${eta}`);
    } else {
      this.line(event.result === 'ok' ? `provisioned in ${(event.duration_ms / 1000).toFixed(1)} s` : `provisioning FAILED: ${event.error?.message ?? ''}`, true);
    }
  }

  private line(text: string, final = false): void {
    const cols = this.out.columns ?? 120;
    this.out.write(`\r\x1b[2K${text.slice(0, cols - 1)}${final ? '\n' : ''}`);
  }
}
