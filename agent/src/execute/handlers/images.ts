import { AnvilError, type Action } from '@anvil/shared';
import type { ImageDeps, ImageProgress } from '../../image/pipeline';
import { RateMeter } from '../../report/events';
import { pipeLookup, probe, runCommands } from '../commands';
import { conditionHolds } from '../conditions';
import type { ExecContext, HandlerResult } from '../context';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

function progress(ctx: ExecContext, seq: number, id: string): (p: ImageProgress) => void {
  const meter = new RateMeter();
  return (p) => ctx.reporter.emit({ type: 'progress', seq, id, bytes: p.bytes, ...(p.total !== undefined ? { total: p.total } : {}), ...meter.update(p.bytes, p.total) });
}

function deps(a: Of<'write_image'> | Of<'extract_image'>, ctx: ExecContext): ImageDeps {
  return {
    log: ctx.log,
    runner: ctx.runner,
    onProgress: progress(ctx, a.seq, a.id),
    pipe: pipeLookup(a, { firmware: ctx.firmware, ...ctx.io.machine }),
  };
}

/** Zeroing is in 4 KiB units (512e and 4Kn devices alike), never past the device's end. */
const ZERO_ALIGN = 4096;

/**
 * The action's `zero` command (`blkdiscard --zeroout` over the image's extent), run when its condition holds
 * (the device offloads write-zeroes): answers up to where the device now reads zeros, 0 when it did not run.
 */
function zeroTarget(a: Of<'write_image'>, ctx: ExecContext, deviceSize: number): (length: number) => Promise<number> {
  return async (length) => {
    const zero = a.commands.find((c) => c.group === 'zero');
    const bytes = Math.floor(Math.min(length, deviceSize) / ZERO_ALIGN) * ZERO_ALIGN;
    if (!zero || bytes === 0 || !(await conditionHolds(zero.when, { firmware: ctx.firmware, ...ctx.io.machine }))) return 0;
    await runCommands(a, ctx, { group: 'zero', values: { length: bytes } });
    ctx.log.info({ device: a.device, bytes }, 'the device zeroed the image extent itself (write-zeroes offload): zero blocks are not written');
    return bytes;
  };
}

export async function writeImage(a: Of<'write_image'>, ctx: ExecContext): Promise<HandlerResult> {
  const size = Number((await probe(a, ctx, ['blockdev', '--getsize64', a.device])).stdout.trim());
  if (!Number.isFinite(size) || size <= 0) throw new AnvilError('exec.device_missing', `cannot read the size of ${a.device}`);
  await ctx.io.writeImage(a.image, a.device, { ...deps(a, ctx), zeroTarget: zeroTarget(a, ctx, size) }, size);
  // e2fsck's "corrected something" exit is declared on the command; anything worse fails the step.
  await runCommands(a, ctx);
  return 'ok';
}

export async function extractImage(a: Of<'extract_image'>, ctx: ExecContext): Promise<HandlerResult> {
  await runCommands(a, ctx);
  await ctx.io.extractTar(a.image, a.mountpoint, deps(a, ctx));
  return 'ok';
}
