/**
 * The build's progress: on a terminal one line redrawn in place (stage, packages set up, bytes written); elsewhere
 * JSON lines, one per change of stage and every few packages, for CI logs and wrappers.
 */
export type BuildStage = 'options' | 'probe' | 'stage-agent' | 'mmdebstrap' | 'customize' | 'agent' | 'inject' | 'script' | 'trim' | 'initramfs' | 'verify' | 'pack' | 'squashfs' | 'archive' | 'done';

export interface ProgressSink {
  write(text: string): void;
  readonly isTTY?: boolean;
}

export class BuildProgress {
  private stageName: BuildStage = 'options';
  private packages = 0;
  private bytes = 0;
  private readonly t0 = Date.now();
  private lastJsonPackages = 0;

  constructor(private readonly sink: ProgressSink, private readonly tty = Boolean(sink.isTTY)) {}

  get stage(): BuildStage {
    return this.stageName;
  }

  setStage(stage: BuildStage, detail?: string): void {
    this.stageName = stage;
    this.emit(true, detail);
  }

  /** A line of mmdebstrap's output: counts the packages dpkg sets up, and follows the customize script's markers. */
  onBuildLine(line: string): void {
    const stage = /^ANVIL-STAGE (\S+)/.exec(line)?.[1];
    if (stage && stage !== 'customized') return this.setStage(stage as BuildStage);
    if (/^Setting up \S+/.test(line)) {
      this.packages++;
      this.emit(this.packages - this.lastJsonPackages >= 25);
    }
  }

  setBytes(bytes: number): void {
    this.bytes = bytes;
    this.emit(false);
  }

  finish(summary: Record<string, unknown>): void {
    this.stageName = 'done';
    if (this.tty) this.sink.write(`\r\x1b[K`);
    else this.sink.write(JSON.stringify({ event: 'bootstrap.build', stage: 'done', elapsed_s: this.elapsed(), ...summary }) + '\n');
  }

  private elapsed(): number {
    return Math.round((Date.now() - this.t0) / 100) / 10;
  }

  private emit(json: boolean, detail?: string): void {
    if (this.tty) {
      const mb = this.bytes ? ` ${(this.bytes / 1e6).toFixed(1)} MB` : '';
      this.sink.write(`\r\x1b[K[${this.elapsed().toFixed(0)}s] ${this.stageName}${detail ? ` ${detail}` : ''}: ${this.packages} packages${mb}`);
    } else if (json) {
      this.lastJsonPackages = this.packages;
      this.sink.write(JSON.stringify({ event: 'bootstrap.build', stage: this.stageName, ...(detail ? { detail } : {}), packages: this.packages, bytes: this.bytes, elapsed_s: this.elapsed() }) + '\n');
    }
  }
}

/** Fuel's warning, printed by every build. */
export const KEEP_DRIVERS_WARNING =
  'WARNING: every time you build a bootstrap image, make sure it keeps every driver and option the servers it manages need: if you add a NIC or RAID driver, keep the ones added before.';
