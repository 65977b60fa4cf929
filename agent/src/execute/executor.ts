import { AnvilError, type Action, type CompiledPlan, type Logger } from '@anvil/shared';
import type { Reporter } from '../report/events';
import type { ExecContext, Handler } from './context';
import type { HandlerResult } from './context';
import { systemImageIo, type ImageIo } from './image-io';
import type { Runner } from '../system/runner';
import type { StateStore } from './state';
import * as disks from './handlers/disks';
import * as storage from './handlers/storage';
import * as images from './handlers/images';
import * as finish from './handlers/finish';

/** One handler per action kind, all with the same signature. */
const HANDLERS: { [K in Action['kind']]: Handler<K> } = {
  teardown: disks.teardown,
  wipe: storage.plain,
  create_table: storage.plain,
  create_partition: disks.createPartition,
  reread_table: disks.rereadPartitions,
  verify_table: disks.verifyTable,
  create_array: storage.createArray,
  assemble_array: storage.assembleArray,
  create_pv: storage.createPv,
  create_vg: storage.createVg,
  activate_vg: storage.activateVg,
  create_lv: storage.createLv,
  mkfs: storage.mkfs,
  write_image: images.writeImage,
  mount: storage.mount,
  extract_image: images.extractImage,
  write_configdrive: finish.writeConfigdrive,
  write_fstab: finish.writeFstab,
  install_bootloader: finish.installBootloader,
  unmount: storage.unmount,
};

/** Actions that must run again on resume even when recorded as done: their effect does not survive a restart. */
const ALWAYS_RERUN = new Set<Action['kind']>(['mount']);

export interface ExecuteOptions {
  readonly compiled: CompiledPlan;
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  readonly state: StateStore;
  readonly firmware: 'bios' | 'uefi';
  readonly resuming: boolean;
  readonly io?: ImageIo;
}

/**
 * Runs the compiled actions in order. Each finished action is recorded in the state file, so an
 * interrupted run can continue (`--resume`): recorded actions are skipped, the rest check whether their
 * effect is already present. The first failure stops the run with the action named in the error.
 */
export async function executePlan(options: ExecuteOptions): Promise<void> {
  const { compiled, log, reporter, state } = options;
  const ctx: ExecContext = { compiled, runner: options.runner, log, reporter, firmware: options.firmware, resuming: options.resuming, io: options.io ?? systemImageIo };
  const total = compiled.actions.length;
  const started = Date.now();
  for (const action of compiled.actions) {
    const t0 = Date.now();
    const base = { seq: action.seq, total, kind: action.kind, id: action.id };
    if (state.isDone(action.seq) && !ALWAYS_RERUN.has(action.kind)) {
      reporter.emit({ type: 'stage', ...base, status: 'end', result: 'skipped', duration_ms: 0 });
      continue;
    }
    reporter.emit({ type: 'stage', ...base, status: 'start' });
    log.info({ seq: action.seq, kind: action.kind, id: action.id, pointer: action.pointer }, action.summary);
    let result: HandlerResult;
    try {
      const handler = HANDLERS[action.kind] as Handler;
      result = await handler(action, ctx);
    } catch (err) {
      const e = err instanceof AnvilError ? err : new AnvilError('exec.failed', err instanceof Error ? err.message : String(err), {}, 500, err);
      const error = { code: e.code, message: `${action.kind} ${action.id} (step ${action.seq} of ${total}): ${e.message}` };
      reporter.emit({ type: 'stage', ...base, status: 'end', result: 'failed', duration_ms: Date.now() - t0, error });
      reporter.emit({ type: 'done', result: 'failed', duration_ms: Date.now() - started, error });
      log.error({ seq: action.seq, kind: action.kind, code: e.code, details: e.details }, error.message);
      throw new AnvilError(e.code, error.message, { ...e.details, seq: action.seq, kind: action.kind, id: action.id, pointer: action.pointer }, e.status, e);
    }
    state.markDone(action.seq);
    reporter.emit({ type: 'stage', ...base, status: 'end', result, duration_ms: Date.now() - t0 });
  }
  reporter.emit({ type: 'done', result: 'ok', duration_ms: Date.now() - started });
}
