import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import { AnvilError, createLogger } from '@anvil/shared';
import { provision } from '../provision';
import { standaloneConfig, runStandalone } from '../ramdisk/standalone';
import { JsonLinesReporter } from '../report/terminal';
import { SystemRunner } from '../system/runner';
import type { Io } from './plan-commands';

/** `anvil standalone`: a bootstrap image's plan from `anvil.plan=` provisioned without Ironic (anvil-standalone.service). */
export function registerStandaloneCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('standalone')
    .description('provision the plan named by anvil.plan= on the kernel command line, then reboot (anvil.after=), as a bootstrap image does without Ironic')
    .option('--cmdline <file>', 'read the kernel command line from this file instead of /proc/cmdline', '/proc/cmdline')
    .option('--log-file <file>', 'write the structured log there as well as to stderr')
    .action(async (f: { cmdline: string; logFile?: string }) => {
      let config;
      try {
        config = standaloneConfig(readFileSync(f.cmdline, 'utf8'));
      } catch (err) {
        if (err instanceof AnvilError) {
          io.err(`anvil standalone: ${err.message} [${err.code}]`);
          setExit(2);
          return;
        }
        io.err(`anvil standalone: cannot read the kernel command line from ${f.cmdline}`);
        setExit(2);
        return;
      }
      const streams: pino.StreamEntry[] = [{ stream: pino.destination(2), level: 'warn' }];
      if (f.logFile) streams.push({ stream: pino.destination({ dest: f.logFile, mkdir: true, sync: true }), level: 'info' });
      const log = createLogger({ level: 'info', name: 'anvil-agent', destination: pino.multistream(streams) });
      const runner = new SystemRunner(log);
      await runner.run(['mkdir', '-p', config.stateFile.replace(/\/[^/]*$/, '')]);
      // The events, one JSON line each, on stdout: the console of the machine (the unit sends it there).
      setExit(await runStandalone(config, { runner, log, reporter: new JsonLinesReporter(process.stdout), provision, say: io.err }));
    });
}
