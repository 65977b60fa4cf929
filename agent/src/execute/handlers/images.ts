import { AnvilError, type Action, type ImageT } from '@anvil/shared';
import { extractTar, streamImageToDevice, writeQcow2, type ImageProgress } from '../../image/pipeline';
import { RateMeter } from '../../report/events';
import { skipCommand, type ExecContext, type HandlerResult } from '../context';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

function imageOf(ctx: ExecContext, id: string): ImageT {
  const im = (ctx.plan.images ?? []).find((i) => i.id === id);
  if (!im) throw new AnvilError('exec.unknown_image', `no image "${id}" in the plan`);
  return im;
}

function progress(ctx: ExecContext, seq: number, id: string): (p: ImageProgress) => void {
  const meter = new RateMeter();
  return (p) => ctx.reporter.emit({ type: 'progress', seq, id, bytes: p.bytes, ...(p.total !== undefined ? { total: p.total } : {}), ...meter.update(p.bytes, p.total) });
}

async function deviceBytes(ctx: ExecContext, device: string): Promise<number> {
  const r = await ctx.runner.run(['blockdev', '--getsize64', device]);
  return Number(r.stdout.trim());
}

export async function writeImage(a: Of<'write_image'>, ctx: ExecContext): Promise<HandlerResult> {
  const image = imageOf(ctx, a.id);
  const deps = { log: ctx.log, runner: ctx.runner, onProgress: progress(ctx, a.seq, a.id) };
  if (a.format === 'qcow2') await writeQcow2(image, a.device, deps);
  else await streamImageToDevice(image, a.device, deps, await deviceBytes(ctx, a.device));
  for (const c of a.commands) {
    if (await skipCommand(c, ctx)) continue;
    // e2fsck -p exits 1 when it corrected something: that is success here.
    const r = await ctx.runner.run(c.argv, { allowFail: c.argv[0] === 'e2fsck' });
    if (c.argv[0] === 'e2fsck' && (r.exitCode ?? 8) > 1) throw new AnvilError('image.fsck_failed', `e2fsck found errors it could not fix on ${a.device}: ${r.stdout.trim().split('\n').pop() ?? ''}`);
  }
  return 'ok';
}

export async function extractImage(a: Of<'extract_image'>, ctx: ExecContext): Promise<HandlerResult> {
  await ctx.runner.run(['mkdir', '-p', a.mountpoint]);
  await extractTar(imageOf(ctx, a.id), a.mountpoint, { log: ctx.log, runner: ctx.runner, onProgress: progress(ctx, a.seq, a.id) });
  return 'ok';
}
