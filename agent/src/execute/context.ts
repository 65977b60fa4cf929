import { hasGpt } from '../disk/gpt';
import type { Action, CompiledPlan, Logger, Plan, ValidationResult } from '@anvil/shared';
import type { Reporter } from '../report/events';
import type { Runner } from '../system/runner';

export interface ExecContext {
  readonly plan: Plan;
  readonly validation: ValidationResult;
  readonly compiled: CompiledPlan;
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  /** How this machine booted: decides `auto` boot loaders and which commands run. */
  readonly firmware: 'bios' | 'uefi';
  /** Plan object id → device path on this machine. */
  readonly devices: ReadonlyMap<string, string>;
  /** True when continuing an interrupted run: handlers check whether their effect is already there. */
  readonly resuming: boolean;
}

export type HandlerResult = 'ok' | 'skipped';

export type Handler<K extends Action['kind'] = Action['kind']> = (action: Extract<Action, { kind: K }>, ctx: ExecContext) => Promise<HandlerResult>;

/** Whether a compiled command is not for this machine: the other firmware's, or a GPT fix-up on a disk without GPT. */
export async function skipCommand(c: Action['commands'][number], ctx: ExecContext): Promise<boolean> {
  if (c.when && c.when !== ctx.firmware) return true;
  // Moving the backup GPT header is for images that brought a GPT: on any other disk sgdisk would create
  // one (and turn an MBR image's table into a GPT).
  if (c.argv[0] === 'sgdisk' && c.argv[1] === '--move-second-header' && !(await hasGpt(c.argv[2]!))) {
    ctx.log.info({ device: c.argv[2] }, 'no GPT on the disk: the backup header stays where the image put it');
    return true;
  }
  return false;
}

/** Runs an action's commands as compiled, skipping those not meant for this machine. */
export async function runCommands(action: Action, ctx: ExecContext): Promise<void> {
  for (const c of action.commands) {
    if (await skipCommand(c, ctx)) continue;
    await ctx.runner.run(c.argv, c.stdin !== undefined ? { stdin: c.stdin } : {});
  }
}
