import type { Action, CompiledPlan, Logger, Plan, ValidationResult } from '@anvil/shared';
import type { Reporter } from '../report/events';
import type { Runner } from './runner';

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

/** Runs an action's commands as compiled, skipping those meant for the other firmware. */
export async function runCommands(action: Action, ctx: ExecContext): Promise<void> {
  for (const c of action.commands) {
    if (c.when && c.when !== ctx.firmware) continue;
    await ctx.runner.run(c.argv, c.stdin !== undefined ? { stdin: c.stdin } : {});
  }
}
