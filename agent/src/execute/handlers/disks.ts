import { AnvilError, type Action } from '@anvil/shared';
import { partNumber, readTable, rereadTable, waitForNodes } from '../../disk/table';
import { teardownDisks } from '../../teardown/run';
import { runCommands, type ExecContext, type HandlerResult } from '../context';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

export async function teardown(a: Of<'teardown'>, ctx: ExecContext): Promise<HandlerResult> {
  const steps = await teardownDisks(ctx.runner, ctx.log, [a.device], ctx.compiled.disks);
  return steps.length ? 'ok' : 'skipped';
}

export async function createPartition(a: Of<'create_partition'>, ctx: ExecContext): Promise<HandlerResult> {
  if (ctx.resuming) {
    const table = await readTable(ctx.runner, a.disk);
    const existing = table?.partitions?.find((p) => partNumber(p.node) === a.number);
    if (existing && existing.start === Number(a.startSector) && (a.role === 'extended' || existing.start + existing.size - 1 === Number(a.endSector))) return 'skipped';
  }
  await runCommands(a, ctx);
  return 'ok';
}

/** partprobe (partx as a fallback), settle, wait for the nodes; under `clean`, erase stale signatures in them. */
export async function rereadPartitions(a: Of<'reread_table'>, ctx: ExecContext): Promise<HandlerResult> {
  await rereadTable(ctx.runner, a.device);
  const parts = ctx.compiled.actions.filter((x): x is Of<'create_partition'> => x.kind === 'create_partition' && x.disk === a.device);
  await waitForNodes(ctx.runner, a.device, parts.map((p) => p.device));
  if (ctx.compiled.policy === 'clean') {
    for (const p of parts) if (p.role !== 'extended') await ctx.runner.run(['wipefs', '--all', '--force', p.device]);
  }
  return 'ok';
}

/** Under `verify`: the table on disk must hold the planned partitions, within one alignment unit. */
export async function verifyTable(a: Of<'verify_table'>, ctx: ExecContext): Promise<HandlerResult> {
  const table = await readTable(ctx.runner, a.device);
  const label = table?.label === 'dos' ? 'msdos' : table?.label;
  if (!table || label !== a.table) {
    throw new AnvilError('verify.layout_mismatch', `${a.device} has ${table ? `a ${label} table` : 'no partition table'}; the plan expects ${a.table}`);
  }
  const layout = ctx.validation.capacity?.layouts.get(a.id);
  const slack = Number(layout?.alignSectors ?? 2048n);
  const problems: string[] = [];
  for (const e of a.expected) {
    const found = table.partitions?.find((p) => partNumber(p.node) === e.number);
    if (!found) {
      problems.push(`partition ${e.number} is missing`);
      continue;
    }
    const end = found.start + found.size - 1;
    if (Math.abs(found.start - Number(e.startSector)) > slack || Math.abs(end - Number(e.endSector)) > slack) {
      problems.push(`partition ${e.number} spans sectors ${found.start}–${end}, the plan expects ${e.startSector}–${e.endSector}`);
    }
  }
  if (problems.length) throw new AnvilError('verify.layout_mismatch', `the layout of ${a.device} does not match the plan: ${problems.join('; ')}`, { device: a.device, problems });
  const nodes = a.expected.map((e) => table.partitions!.find((p) => partNumber(p.node) === e.number)!.node);
  await rereadTable(ctx.runner, a.device);
  await waitForNodes(ctx.runner, a.device, nodes);
  return 'ok';
}
