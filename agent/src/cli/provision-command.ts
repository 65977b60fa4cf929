import type { Command } from 'commander';
import pino from 'pino';
import { AnvilError, createLogger } from '@anvil/shared';
import { SystemRunner } from '../system/runner';
import { provision } from '../provision';
import { MultiReporter, type Reporter } from '../report/events';
import { JsonLinesReporter, TtyReporter } from '../report/terminal';
import type { Io } from './plan-commands';

interface ProvisionFlags {
  plan: string;
  dryRun?: boolean;
  resume?: boolean;
  state: string;
  targetRoot: string;
  progress?: 'tty' | 'json' | 'none';
  logFile?: string;
  logLevel?: string;
  firmware?: 'bios' | 'uefi';
  includeLoop?: boolean;
  onlyDisks?: string;
  seed?: string;
}

export function registerProvisionCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('provision')
    .description('inventory → validate → compile → execute a plan on this machine’s disks')
    .requiredOption('--plan <file|url>', 'the plan: a file or an http(s) URL')
    .option('--dry-run', 'print the exact commands and touch nothing')
    .option('--resume', 'continue an interrupted run from its state file')
    .option('--state <file>', 'where progress is recorded', '/run/anvil/provision.state.json')
    .option('--target-root <dir>', 'where the deployed tree is mounted', '/mnt/anvil')
    .option('--progress <kind>', 'tty (a progress bar), json (JSON lines on stdout) or none; default: tty on a terminal, else json')
    .option('--log-file <file>', 'write the structured log there instead of stderr')
    .option('--log-level <level>', 'debug, info, warn, error', undefined)
    .option('--firmware <kind>', 'bios or uefi (default: how this machine booted)')
    .option('--include-loop', 'consider loop devices as disks (tests, attached images)')
    .option('--only-disks <list>', 'comma-separated device paths: inventory only these')
    .option('--seed <text>', 'seed for filesystem UUIDs (default: the deployment id)')
    .action(async (f: ProvisionFlags) => {
      const tty = Boolean(process.stderr.isTTY);
      const progress = f.progress ?? (tty ? 'tty' : 'json');
      const level = f.logLevel ?? (progress === 'tty' && !f.logFile ? 'warn' : 'info');
      const log = createLogger({ level, name: 'anvil-agent', destination: f.logFile ? pino.destination({ dest: f.logFile, mkdir: true, sync: true }) : pino.destination(2) });
      const reporters: Reporter[] = [];
      if (progress === 'tty') reporters.push(new TtyReporter(process.stderr));
      if (progress === 'json') reporters.push(new JsonLinesReporter(process.stdout));
      const runner = new SystemRunner(log);
      if (!f.dryRun) await runner.run(['mkdir', '-p', f.state.replace(/\/[^/]*$/, '') || '/']);
      try {
        const result = await provision({
          plan: f.plan,
          ...(f.dryRun ? { dryRun: true } : {}),
          ...(f.resume ? { resume: true } : {}),
          stateFile: f.state,
          targetRoot: f.targetRoot,
          ...(f.seed ? { seed: f.seed } : {}),
          ...(f.firmware ? { firmware: f.firmware } : {}),
          inventory: { includeLoop: Boolean(f.includeLoop), ...(f.onlyDisks ? { only: f.onlyDisks.split(',').map((s) => s.trim()) } : {}) },
          runner,
          log,
          reporter: new MultiReporter(reporters),
        });
        if (result.dryRun) io.out(result.dryRun.trimEnd());
        setExit(0);
      } catch (err) {
        if (!(err instanceof AnvilError)) throw err;
        io.err(`anvil provision: ${err.message} [${err.code}]`);
        setExit(1);
      } finally {
        log.flush();
      }
    });
}
