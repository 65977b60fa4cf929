import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AnvilError, type Logger } from '@anvil/shared';
import { redactUrl } from '@anvil/shared/protocol';
import type { ProvisionOptions, ProvisionResult } from '../provision';
import type { Reporter } from '../report/events';
import type { Runner } from '../system/runner';
import { normalizeMac, parseCmdline } from './config';
import { waitForAddress } from './network';

/**
 * Standalone provisioning from a bootstrap image, without Ironic (Fuel's image-based provisioning): the kernel
 * command line names the plan (`anvil.plan=URL`), the image's `anvil-standalone.service` runs it once the network
 * is up, and the machine reboots into what was deployed (or powers off, or stays up for a look). The agent unit
 * does not start on such a boot.
 */
const AFTER = ['reboot', 'poweroff', 'stay'] as const;

export const StandaloneConfig = z.strictObject({
  plan: z.url({ protocol: /^https?$/ }).describe('anvil.plan: the plan to provision, an http(s) URL.'),
  after: z.enum(AFTER).describe('anvil.after: what the machine does once the plan is provisioned (default reboot).'),
  afterFailure: z.enum(AFTER).describe('anvil.after_failure: what it does when provisioning failed (default stay, for a look at the console or over SSH).'),
  bootif: z.string().optional().describe('BOOTIF: the interface whose address is waited for (default: any).'),
  addressWaitS: z.number().positive().describe('anvil.address_wait: seconds to wait for an address (default 60).'),
  firmware: z.enum(['bios', 'uefi']).optional().describe('anvil.firmware: bios or uefi (default: how the machine booted).'),
  stateFile: z.string(),
  targetRoot: z.string(),
});
export type StandaloneConfigT = z.infer<typeof StandaloneConfig>;

/** The standalone settings from a kernel command line; a bad or missing value is `agent.bad_config`. */
export function standaloneConfig(cmdline: string): StandaloneConfigT {
  const k = parseCmdline(cmdline);
  if (!k.get('anvil.plan')) throw new AnvilError('agent.bad_config', 'standalone provisioning: the kernel command line has no anvil.plan=URL');
  const bootif = k.get('BOOTIF');
  const parsed = StandaloneConfig.safeParse({
    plan: k.get('anvil.plan'),
    after: k.get('anvil.after') ?? 'reboot',
    afterFailure: k.get('anvil.after_failure') ?? 'stay',
    ...(bootif !== undefined ? { bootif: normalizeMac(bootif) ?? bootif } : {}),
    addressWaitS: k.get('anvil.address_wait') === undefined ? 60 : Number(k.get('anvil.address_wait')),
    ...(k.get('anvil.firmware') ? { firmware: k.get('anvil.firmware') } : {}),
    stateFile: '/run/anvil/standalone.state.json',
    targetRoot: '/mnt/anvil',
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const key = ({ plan: 'anvil.plan', after: 'anvil.after', afterFailure: 'anvil.after_failure', bootif: 'BOOTIF', addressWaitS: 'anvil.address_wait', firmware: 'anvil.firmware' } as Record<string, string>)[String(i.path[0])] ?? i.path.join('.');
    throw new AnvilError('agent.bad_config', `standalone provisioning: ${key}: ${i.message}`);
  }
  return parsed.data;
}

export interface StandaloneDeps {
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  readonly provision: (o: ProvisionOptions) => Promise<ProvisionResult>;
  /** A line for the operator at the console. */
  readonly say: (text: string) => void;
  readonly waitForAddress?: typeof waitForAddress;
  /** Whether systemd is PID 1 (a clean `systemctl reboot`), else the forced form. */
  readonly systemd?: boolean;
}

/** The command of an after-action: systemd's clean one where systemd runs, `-f` otherwise; none for `stay`. */
export function afterCommand(after: StandaloneConfigT['after'], systemd: boolean): string[] | undefined {
  if (after === 'stay') return undefined;
  return systemd ? ['systemctl', '--no-block', after] : [after, '-f'];
}

/** Waits for the network, provisions the plan, then reboots, powers off or stays. Resolves with the exit code. */
export async function runStandalone(config: StandaloneConfigT, deps: StandaloneDeps): Promise<number> {
  const { log } = deps;
  const plan = redactUrl(config.plan);
  log.info({ plan, after: config.after, after_failure: config.afterFailure }, 'standalone provisioning');
  let code = 0;
  try {
    const address = await (deps.waitForAddress ?? waitForAddress)(config.bootif, config.addressWaitS, log);
    log.info({ address }, 'network up');
    await deps.provision({
      plan: config.plan,
      stateFile: config.stateFile,
      targetRoot: config.targetRoot,
      ...(config.firmware ? { firmware: config.firmware } : {}),
      runner: deps.runner,
      log,
      reporter: deps.reporter,
    });
    deps.say(`anvil standalone: provisioned ${plan}${config.after === 'stay' ? '' : `; ${config.after}`}`);
  } catch (err) {
    if (!(err instanceof AnvilError)) throw err;
    code = 1;
    log.error({ code: err.code }, err.message);
    deps.say(`anvil standalone: provisioning ${plan} FAILED: ${err.message} [${err.code}]${config.afterFailure === 'stay' ? '' : `; ${config.afterFailure}`}`);
  }
  const argv = afterCommand(code === 0 ? config.after : config.afterFailure, deps.systemd ?? existsSync('/run/systemd/system'));
  if (argv) {
    log.flush();
    const r = await deps.runner.run(argv, { allowFail: true });
    if (r.exitCode !== 0) log.error({ argv, stderr: r.stderr }, 'the after-action failed');
  }
  return code;
}
