import type { Action, CompiledPlan, Logger } from '@anvil/shared';
import type { Reporter } from '../report/events';
import type { Runner } from '../system/runner';
import type { ImageIo } from './image-io';

export interface ExecContext {
  readonly compiled: CompiledPlan;
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  /** How this machine booted: decides `auto` boot loaders and which commands run. */
  readonly firmware: 'bios' | 'uefi';
  /** True when continuing an interrupted run: handlers check whether their effect is already there. */
  readonly resuming: boolean;
  /** The in-process byte work (image streams, config drive writes); a test gives a recording one. */
  readonly io: ImageIo;
}

export type HandlerResult = 'ok' | 'skipped';

export type Handler<K extends Action['kind'] = Action['kind']> = (action: Extract<Action, { kind: K }>, ctx: ExecContext) => Promise<HandlerResult>;
