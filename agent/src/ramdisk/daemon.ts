import type { Server } from 'node:http';
import { AnvilError, type Logger } from '@anvil/shared';
import { SystemRunner } from '../system/runner';
import { agentApp, listen } from './api-server';
import { cleanCommands } from './commands/clean';
import type { AgentContext } from './commands/context';
import { deployCommands } from './commands/deploy';
import { logCommands } from './commands/log';
import { CommandProcessor, type CommandSpec } from './commands/registry';
import { standbyCommands } from './commands/standby';
import type { AgentConfigT } from './config';
import { Heartbeater, heartbeatAgentVersion } from './heartbeat';
import { sendInspection } from './inspection';
import { IronicRamdiskApi } from './ironic-api';
import { chooseCallbackUrl, lookupAddresses } from './network';
import { AgentStateFile, bootId, type AgentStateT } from './persist';
import { LogReporter } from './progress-log';

export interface AgentRun {
  /** Resolves with the exit code once the agent ends (power_off, a signal, or a fatal error). */
  readonly done: Promise<number>;
  stop(reason: string): void;
}

/**
 * The ramdisk agent: look the node up in Ironic, serve the IPA-compatible command API, heartbeat, and run
 * the commands the conductor sends (deploy and clean steps, power off, logs).
 */
export async function startAgent(config: AgentConfigT, baseLog: Logger, recentLog: () => string): Promise<AgentRun> {
  const stateFile = new AgentStateFile(config.stateDir);
  const boot = bootId();
  const saved = stateFile.load(boot);
  const api = new IronicRamdiskApi(config.apiUrl, baseLog, config.globalRequestId);
  const callbackUrl = saved?.callbackUrl ?? (await chooseCallbackUrl(config, baseLog));
  const abort = new AbortController();
  let stopReason: string | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  // Booted for inspection: the inventory goes to ironic-inspector first (once per boot), as IPA sends it.
  if (config.inspectionCallbackUrl && !saved) {
    try {
      const answer = await sendInspection(config, config.inspectionCallbackUrl, new SystemRunner(baseLog), baseLog);
      baseLog.info({ answer }, 'inspection data delivered');
    } catch (err) {
      baseLog.error({ err: err instanceof Error ? err.message : String(err) }, 'inspection data not delivered');
    }
  }
  const lookup = await api.lookup(lookupAddresses(config), config.nodeUuid ?? saved?.nodeUuid, config.lookupTimeoutS * 1000, abort.signal);
  const nodeUuid = lookup.node.uuid;
  const log = baseLog.child({ node_uuid: nodeUuid });
  const sameNode = saved?.nodeUuid === nodeUuid ? saved : undefined;

  const issued = lookup.config.agent_token;
  let token = config.token;
  if (!token && issued && issued.length >= 32) token = issued;
  if (!token && sameNode?.token) {
    token = sameNode.token;
    log.info('the agent restarted within this boot: using the token Ironic issued to it earlier');
  }
  if (!token && lookup.config.agent_token_required !== false) {
    throw new AnvilError(
      'agent.token_already_issued',
      `Ironic issued node ${nodeUuid}'s agent token to an earlier agent of this boot and the agent kept no copy of it (state directory ${config.stateDir}); Ironic hands a token out only once per boot, so the node has to be rebooted into the ramdisk (or the deploy aborted and started again)`,
    );
  }

  let state: AgentStateT = { bootId: boot, nodeUuid, ...(token ? { token } : {}), callbackUrl, commands: [...(sameNode?.commands ?? [])] };
  stateFile.save(state);

  const heartbeater = new Heartbeater({ api, nodeUuid, callbackUrl, token: () => token, agentVersion: heartbeatAgentVersion(config.bootstrapUuid), heartbeatTimeoutS: lookup.config.heartbeat_timeout, log });
  const ctx: AgentContext = {
    config,
    runner: new SystemRunner(log),
    log,
    reporter: new LogReporter(log),
    recentLog,
    shutdown: (reason) => stop(reason),
  };
  const specs = new Map<string, CommandSpec>([...deployCommands(ctx), ...cleanCommands(ctx), ...standbyCommands(ctx)]);
  const processor = new CommandProcessor(specs, log, {
    changed: (list, running) => {
      state = stateFile.update({ commands: [...list], running }, state);
    },
    asyncDone: () => heartbeater.soon(),
  });
  for (const [k, v] of logCommands(ctx, () => processor.list())) specs.set(k, v);
  processor.restore(state.commands);

  const app = agentApp({ commands: processor, token: () => token, log, startedAt: new Date() });
  let server: Server;
  try {
    ({ server } = await listen(app, config.listenHost, config.listenPort));
  } catch (err) {
    throw new AnvilError('agent.listen_failed', `cannot listen on ${config.listenHost}:${config.listenPort}: ${err instanceof Error ? err.message : String(err)}`);
  }
  log.info({ callback_url: callbackUrl, listen: `${config.listenHost}:${config.listenPort}`, heartbeat_timeout: lookup.config.heartbeat_timeout }, 'agent API listening');

  heartbeater.start();

  // A command that was running when the previous agent of this boot died: resume it (the disk engine
  // continues from its state file) rather than let the conductor take the empty history for a fresh boot.
  if (sameNode?.running) {
    const r = sameNode.running;
    log.warn({ command: r.name, command_id: r.id }, 'resuming the command the previous agent was running');
    void processor.execute(r.name, r.params, false, r.id).catch((err: unknown) => log.error({ err }, 'could not resume the command'));
  }

  function stop(reason: string): void {
    if (stopReason) return;
    stopReason = reason;
    log.info({ reason }, 'agent stopping');
    abort.abort();
    heartbeater.stop();
    server.close();
    server.closeAllConnections();
    void (async () => {
      if (reason === 'standby.power_off' && config.powerOff) {
        const r = await ctx.runner.run(['poweroff', '-f'], { allowFail: true });
        if (r.exitCode !== 0) await ctx.runner.run(['sh', '-c', 'echo o > /proc/sysrq-trigger'], { allowFail: true });
      }
      resolveDone(0);
    })();
  }
  return { done, stop };
}
