import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AnvilError, quoteArg, type ErrorCode, type Logger } from '@anvil/shared';

/** What every command run returns, failed or not (execa's shape). */
export interface ExecResult {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly stdin?: string | Buffer;
  readonly timeoutMs?: number;
  /** Return a failed result instead of throwing. */
  readonly allowFail?: boolean;
  readonly signal?: AbortSignal;
  /** Retry when the tool says the device is busy (default 4 attempts). */
  readonly busyAttempts?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Told the child's pid once it runs (e.g. to watch its I/O). */
  readonly onSpawn?: (pid: number) => void;
}

export interface SpawnOptions {
  readonly stdio: StdioOptions;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<ExecResult>;
  /** A process the caller streams through (decompressors, dd, tar): logged like every run, and fakeable. */
  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUSY_RE = /device or resource busy|resource busy|is in use|EBUSY/i;

export function quote(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

export function toolExists(name: string): boolean {
  return PATH.split(':').some((dir) => existsSync(`${dir}/${name}`));
}

/**
 * The error for a command that failed: its exit and the last lines it printed, under `code` (a command's own
 * `failCode` where it names one).
 */
export function commandFailed(result: ExecResult, code: ErrorCode = 'exec.command_failed'): AnvilError {
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ');
  return new AnvilError(code, `${result.argv[0]} failed (${result.timedOut ? 'timed out' : result.signal ?? `exit ${result.exitCode}`}): ${tail || 'no output'}`, {
    argv: result.argv,
    exitCode: result.exitCode,
    stderr: result.stderr.slice(-4000),
  });
}

/** Runs real programs, logging `[started]/[finished]/[failed] op(N)` with the quoted argv and durations. */
export class SystemRunner implements Runner {
  private seq = 0;

  constructor(private readonly log: Logger) {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
    const attempts = options.busyAttempts ?? 4;
    let result = await this.once(argv, options);
    for (let attempt = 2; attempt <= attempts && result.failed && BUSY_RE.test(result.stderr); attempt++) {
      this.log.warn({ cmd: quote(argv), attempt }, 'device busy; settling and retrying');
      if (toolExists('udevadm')) await this.once(['udevadm', 'settle', '--timeout=30'], { allowFail: true });
      await new Promise((r) => setTimeout(r, 500 * attempt));
      result = await this.once(argv, options);
    }
    if (result.failed && !options.allowFail) throw commandFailed(result);
    return result;
  }

  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess {
    const op = ++this.seq;
    const cmd = quote(argv);
    this.log.info({ op, cmd }, `[started] op(${op})`);
    const started = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: options.stdio, env: { ...process.env, PATH, LC_ALL: 'C', ...options.env } });
    child.on('exit', (exitCode, signal) => {
      const fields = { op, cmd, exitCode, signal: signal ?? undefined, duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6) };
      if (exitCode === 0) this.log.info(fields, `[finished] op(${op})`);
      else this.log.warn(fields, `[failed] op(${op})`);
    });
    return child;
  }

  private once(argv: readonly string[], options: RunOptions): Promise<ExecResult> {
    const op = ++this.seq;
    const cmd = quote(argv);
    this.log.info({ op, cmd }, `[started] op(${op})`);
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        env: { ...process.env, PATH, LC_ALL: 'C', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
      });
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), options.timeoutMs) : undefined;
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        if (timer) clearTimeout(timer);
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        const result: ExecResult = {
          argv,
          exitCode,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: spawnError ? String(spawnError.message) : Buffer.concat(err).toString('utf8'),
          durationMs,
          failed: exitCode !== 0,
          timedOut,
        };
        const fields = { op, cmd, exitCode, duration_ms: Math.round(durationMs), stderr: result.stderr.slice(-2000) || undefined, stdout: result.stdout.slice(-2000) || undefined };
        if (result.failed) this.log.warn(fields, `[failed] op(${op})`);
        else this.log.info(fields, `[finished] op(${op})`);
        resolve(result);
      };
      child.on('error', (e) => finish(null, null, e));
      child.on('close', (code, signal) => finish(code, signal));
    });
  }
}
