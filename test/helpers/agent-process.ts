import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './ironic';

const BIN = resolve(__dirname, '../../agent/bin/anvil-agent.cjs');

export interface AgentProcessOptions {
  readonly apiUrl: string;
  readonly mac: string;
  readonly disks: readonly string[];
  /** Where the agent keeps its token and state, and its log. */
  readonly dir: string;
  readonly stateDir?: string;
  readonly port?: number;
  readonly extraArgs?: readonly string[];
}

/** The real agent daemon (`anvil-agent`) as a child process, playing a node's ramdisk on this machine. */
export class AgentProcess {
  readonly exited: Promise<number | null>;
  readonly logFile: string;

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    logFile: string,
  ) {
    this.logFile = logFile;
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  static async start(o: AgentProcessOptions): Promise<AgentProcess> {
    mkdirSync(o.dir, { recursive: true });
    const port = o.port ?? (await freePort());
    const logFile = join(o.dir, `agent-${port}-${Date.now()}.log`);
    const out = openSync(logFile, 'a');
    const args = [
      BIN,
      '--cmdline', '/dev/null',
      '--api-url', o.apiUrl,
      '--mac', o.mac,
      '--listen-host', '127.0.0.1',
      '--advertise-host', '127.0.0.1',
      '--listen-port', String(port),
      '--lookup-timeout', '120',
      '--state-dir', o.stateDir ?? join(o.dir, 'state'),
      '--target-root', join(o.dir, 'target'),
      '--firmware', 'bios',
      '--include-loop',
      '--only-disks', o.disks.join(','),
      '--no-power-off',
      ...(o.extraArgs ?? []),
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', out, out] });
    return new AgentProcess(proc, port, logFile);
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  /** Parsed JSON log lines. */
  entries(): Record<string, unknown>[] {
    return this.log()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc.exitCode === null) this.proc.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const t = setTimeout(() => this.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}
