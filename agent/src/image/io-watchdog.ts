import { readFileSync } from 'node:fs';

/** Bytes a process has read and written so far (any file or socket), from /proc/PID/io; undefined once it is gone. */
function ioBytes(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return field('rchar') + field('wchar');
  } catch {
    return undefined;
  }
}

/**
 * Aborts a child that stops moving bytes: no read or write at all for `stallMs`. qemu-img's curl block driver
 * has been seen to hang for good with its connections in CLOSE-WAIT (the server had closed them) instead of
 * reconnecting or failing; a deploy must not wait on that forever.
 */
export class IoWatchdog {
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  stalled = false;

  constructor(
    private readonly stallMs: number,
    private readonly everyMs = Math.min(5000, Math.max(250, stallMs / 4)),
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  watch(pid: number): void {
    let last = ioBytes(pid);
    let movedAt = Date.now();
    this.timer = setInterval(() => {
      const now = ioBytes(pid);
      if (now === undefined) return this.stop();
      if (now !== last) {
        last = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= this.stallMs) {
        this.stalled = true;
        this.stop();
        this.controller.abort();
      }
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
