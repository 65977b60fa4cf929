import type { Action } from '@anvil/shared';
import { probe, runCommands } from '../commands';
import type { ExecContext, HandlerResult } from '../context';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

/** Runs the commands unless `present` says the effect is already there (only checked when resuming). */
function idempotent<K extends Action['kind']>(present: (a: Of<K>, ctx: ExecContext) => Promise<boolean> | boolean) {
  return async (a: Of<K>, ctx: ExecContext): Promise<HandlerResult> => {
    if (ctx.resuming && (await present(a, ctx))) return 'skipped';
    await runCommands(a, ctx);
    return 'ok';
  };
}

export const plain = idempotent<Action['kind']>(() => false);
export const createArray = idempotent<'create_array'>((a, ctx) => ctx.io.machine.exists(a.device));
export const assembleArray = idempotent<'assemble_array'>((a, ctx) => ctx.io.machine.exists(a.device));
export const createPv = idempotent<'create_pv'>(async (a, ctx) => !(await probe(a, ctx, ['pvs', a.device])).failed);
export const createVg = idempotent<'create_vg'>(async (a, ctx) => !(await probe(a, ctx, ['vgs', a.name])).failed);
export const activateVg = idempotent<'activate_vg'>(() => false);
export const createLv = idempotent<'create_lv'>((a, ctx) => ctx.io.machine.exists(a.device));

export const mkfs = idempotent<'mkfs'>(async (a, ctx) => {
  const uuid = (await probe(a, ctx, ['blkid', '-p', '-o', 'value', '-s', 'UUID', a.device])).stdout.trim();
  return uuid.toLowerCase() === a.uuid.toLowerCase();
});

/** Mounts are always re-established when resuming: they do not survive a crash or a reboot. */
export async function mount(a: Of<'mount'>, ctx: ExecContext): Promise<HandlerResult> {
  if (ctx.io.machine.mounted(a.mountpoint)) return 'skipped';
  await runCommands(a, ctx);
  return 'ok';
}

export async function unmount(a: Of<'unmount'>, ctx: ExecContext): Promise<HandlerResult> {
  if (!ctx.io.machine.mounted(a.mountpoint)) return 'skipped';
  await runCommands(a, ctx);
  return 'ok';
}
