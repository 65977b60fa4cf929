import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';
import { toolExists, type Runner } from '../system/runner';

/** Partition tables as the kernel and sfdisk see them: read, re-read, wait for the nodes. */
const SfdiskTable = z.looseObject({
  partitiontable: z.looseObject({
    label: z.string(),
    device: z.string().optional(),
    sectorsize: z.number().optional(),
    lastlba: z.number().optional(),
    partitions: z.array(z.looseObject({ node: z.string(), start: z.number(), size: z.number(), type: z.string().optional() })).optional(),
  }),
});

export type SfdiskTableT = z.infer<typeof SfdiskTable>['partitiontable'];

export async function readTable(runner: Runner, device: string): Promise<SfdiskTableT | undefined> {
  const r = await runner.run(['sfdisk', '--json', device], { allowFail: true });
  if (r.failed) return undefined;
  return SfdiskTable.parse(JSON.parse(r.stdout)).partitiontable;
}

export function partNumber(node: string): number {
  return Number(/(\d+)$/.exec(node)?.[1] ?? NaN);
}

/** Waits for partition device nodes to appear (udev, or the kernel's devtmpfs). */
export async function waitForNodes(runner: Runner, disk: string, nodes: readonly string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (nodes.every((n) => existsSync(n))) return;
    if (Date.now() > deadline) throw new AnvilError('exec.device_missing', `partition devices ${nodes.filter((n) => !existsSync(n)).join(', ')} did not appear after re-reading ${disk}`);
    if (toolExists('udevadm')) await runner.run(['udevadm', 'settle', '--timeout=5'], { allowFail: true });
    else await runner.run(['partx', '--update', disk], { allowFail: true });
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function rereadTable(runner: Runner, disk: string): Promise<void> {
  const r = await runner.run(['partprobe', disk], { allowFail: true });
  if (r.failed) await runner.run(['partx', '--update', disk], { allowFail: true });
  if (toolExists('udevadm')) await runner.run(['udevadm', 'settle', '--timeout=60'], { allowFail: true });
}
