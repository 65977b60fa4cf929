import type { Command } from 'commander';
import pino from 'pino';
import { AnvilError, createLogger } from '@anvil/shared';
import { loadAgentConfig, type AgentFlags } from '../ramdisk/config';
import type * as Daemon from '../ramdisk/daemon';
import { LogRing } from '../ramdisk/log-buffer';
import type { Io } from './plan-commands';

/** `anvil agent`: the ramdisk daemon Ironic's custom-agent deploy interface drives. */
export function registerAgentCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('agent')
    .description('run as the deploy ramdisk agent: Ironic lookup, heartbeats and the IPA-compatible command API')
    .option('--cmdline <file>', 'read the kernel command line from this file instead of /proc/cmdline')
    .option('--api-url <url>', 'the Ironic API (default: ipa-api-url= on the kernel command line)')
    .option('--mac <list>', 'MAC addresses to look the node up by, the boot interface first (default: BOOTIF=, then every interface)')
    .option('--node-uuid <uuid>', 'look the node up by UUID as well')
    .option('--token <token>', 'a pre-generated agent token (default: ipa-agent-token=)')
    .option('--listen-host <addr>', 'address the command API listens on (default ::)')
    .option('--listen-port <port>', 'port of the command API (default 9999)')
    .option('--advertise-host <addr>', 'address the conductor calls back (default: the boot interface address)')
    .option('--advertise-port <port>', 'port the conductor calls back, where a NAT maps it (default: the listen port)')
    .option('--lookup-timeout <seconds>', 'give up looking the node up after this long (default 300)')
    .option('--state-dir <dir>', 'where the token, command history and provisioning state are kept (default /run/anvil)')
    .option('--target-root <dir>', 'where the deployed tree is mounted (default /mnt/anvil)')
    .option('--firmware <kind>', 'bios or uefi (default: how this machine booted)')
    .option('--include-loop', 'consider loop devices as disks (tests)')
    .option('--only-disks <list>', 'comma-separated device paths: the only disks the agent may see')
    .option('--power-off', 'power the machine off on standby.power_off (the default inside a ramdisk)')
    .option('--no-power-off', 'on standby.power_off end the daemon instead (the default elsewhere)')
    .option('--inspection-callback-url <url>', 'ironic-inspector\'s /v1/continue: send the inventory there before lookup (default: ipa-inspection-callback-url=)')
    .option('--log-file <file>', 'write the structured log there as well as to stderr')
    .action(async (flags: AgentFlags) => {
      const ring = new LogRing();
      let config;
      try {
        config = loadAgentConfig(flags);
      } catch (err) {
        if (!(err instanceof AnvilError)) throw err;
        io.err(`anvil agent: ${err.message} [${err.code}]`);
        setExit(2);
        return;
      }
      const streams: pino.StreamEntry[] = [{ stream: pino.destination(2) }, { stream: ring }];
      if (config.logFile) streams.push({ stream: pino.destination({ dest: config.logFile, mkdir: true, sync: true }) });
      const log = createLogger({ level: config.debug ? 'debug' : 'info', name: 'anvil-agent', destination: pino.multistream(streams) });
      try {
        // The daemon (express and the OpenStack clients) is loaded only for `anvil agent` (require: see sources.ts).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { startAgent } = require('../ramdisk/daemon') as typeof Daemon;
        const run = await startAgent(config, log, () => ring.text());
        const onSignal = (sig: string): void => run.stop(sig);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        setExit(await run.done);
      } catch (err) {
        if (!(err instanceof AnvilError)) throw err;
        log.fatal({ code: err.code }, err.message);
        io.err(`anvil agent: ${err.message} [${err.code}]`);
        setExit(1);
      }
    });
}
