import type { ProgressEvent } from '@anvil/shared/protocol';

/** What the agent reports while it works: stages (one per action) and byte progress of image writes (the wire schema lives in shared/src/protocol/progress.ts). */
export type { ProgressEvent };

export interface Reporter {
  emit(event: ProgressEvent): void;
}

export class MultiReporter implements Reporter {
  constructor(private readonly reporters: readonly Reporter[]) {}
  emit(event: ProgressEvent): void {
    for (const r of this.reporters) r.emit(event);
  }
}

/** Rate and ETA from successive byte counts (a smoothed average). */
export class RateMeter {
  private lastBytes = 0;
  private lastTime = Date.now();
  private rate = 0;

  update(bytes: number, total?: number): { rate_bps: number; eta_seconds?: number } {
    const now = Date.now();
    const dt = (now - this.lastTime) / 1000;
    if (dt > 0.05) {
      const inst = (bytes - this.lastBytes) / dt;
      this.rate = this.rate === 0 ? inst : this.rate * 0.7 + inst * 0.3;
      this.lastBytes = bytes;
      this.lastTime = now;
    }
    const eta = total !== undefined && this.rate > 0 ? Math.max(0, (total - bytes) / this.rate) : undefined;
    return { rate_bps: Math.round(this.rate), ...(eta !== undefined ? { eta_seconds: Math.round(eta) } : {}) };
  }
}
