import { AnvilError, type Action } from '@anvil/shared';
import { parseTable, partNumber, waitForNodes } from '../../disk/table';
import { assertClear } from '../../teardown/run';
import { readBlockTree } from '../../teardown/tree';
import { probe, runCommands } from '../commands';
import type { ExecContext, HandlerResult } from '../context';

type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

/** The commands were planned on this machine from its holders before anything ran; afterwards nothing may be left. */
export async function teardown(a: Of<'teardown'>, ctx: ExecContext): Promise<HandlerResult> {
  if (!a.commands.length) return 'skipped';
  await runCommands(a, ctx);
  assertClear(readBlockTree(), a.devices.map((d) => d.replace(/^\/dev\//, '')));
  return 'ok';
}

/** Waits for partition nodes, nudging udev (or the kernel, without udev) with the action's probes. */
export function nodeWaiter(a: Action, ctx: ExecContext, disk: string): (nodes: readonly string[]) => Promise<void> {
  const nudge = async (): Promise<void> => {
    await probe(a, ctx, ctx.io.machine.hasTool('udevadm') ? ['udevadm', 'settle'] : ['partx', '--update', disk]);
  };
  return (nodes) => waitForNodes(disk, nodes, nudge, ctx.io.machine.exists);
}

export async function createPartition(a: Of<'create_partition'>, ctx: ExecContext): Promise<HandlerResult> {
  if (ctx.resuming) {
    const table = parseTable(await probe(a, ctx, ['sfdisk', '--json', a.disk]));
    const existing = table?.partitions?.find((p) => partNumber(p.node) === a.number);
    if (existing && existing.start === Number(a.startSector) && (a.role === 'extended' || existing.start + existing.size - 1 === Number(a.endSector))) return 'skipped';
  }
  await runCommands(a, ctx);
  return 'ok';
}

/** Re-read, settle, wait for the nodes, then erase stale signatures in the new partitions. */
export async function rereadPartitions(a: Of<'reread_table'>, ctx: ExecContext): Promise<HandlerResult> {
  const waitFor = nodeWaiter(a, ctx, a.device);
  await runCommands(a, ctx, { waitFor });
  await waitFor(a.partitions);
  return 'ok';
}

/** Under `verify`: the table on disk must hold the planned partitions, within one alignment unit. */
export async function verifyTable(a: Of<'verify_table'>, ctx: ExecContext): Promise<HandlerResult> {
  const table = parseTable(await probe(a, ctx, ['sfdisk', '--json', a.device]));
  const label = table?.label === 'dos' ? 'msdos' : table?.label;
  if (!table || label !== a.table) {
    throw new AnvilError('verify.layout_mismatch', `${a.device} has ${table ? `a ${label} table` : 'no partition table'}; the plan expects ${a.table}`);
  }
  const problems: string[] = [];
  for (const e of a.expected) {
    const found = table.partitions?.find((p) => partNumber(p.node) === e.number);
    if (!found) {
      problems.push(`partition ${e.number} is missing`);
      continue;
    }
    const end = found.start + found.size - 1;
    if (Math.abs(found.start - Number(e.startSector)) > a.slackSectors || Math.abs(end - Number(e.endSector)) > a.slackSectors) {
      problems.push(`partition ${e.number} spans sectors ${found.start}–${end}, the plan expects ${e.startSector}–${e.endSector}`);
    }
  }
  if (problems.length) throw new AnvilError('verify.layout_mismatch', `the layout of ${a.device} does not match the plan: ${problems.join('; ')}`, { device: a.device, problems });
  const nodes = a.expected.map((e) => table.partitions!.find((p) => partNumber(p.node) === e.number)!.node);
  await runCommands(a, ctx);
  await nodeWaiter(a, ctx, a.device)(nodes);
  return 'ok';
}
