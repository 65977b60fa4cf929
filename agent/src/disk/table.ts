import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';

/** Partition tables as sfdisk prints them (`sfdisk --json`), and waiting for the kernel's partition nodes. */
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

/** The table from `sfdisk --json` output; undefined when sfdisk found none (it failed). */
export function parseTable(result: { failed: boolean; stdout: string }): SfdiskTableT | undefined {
  if (result.failed) return undefined;
  return SfdiskTable.parse(JSON.parse(result.stdout)).partitiontable;
}

export function partNumber(node: string): number {
  return Number(/(\d+)$/.exec(node)?.[1] ?? NaN);
}

/** Waits for partition device nodes to appear (udev, or the kernel's devtmpfs), nudging between looks. */
export async function waitForNodes(disk: string, nodes: readonly string[], nudge: () => Promise<void>, exists: (path: string) => boolean = existsSync, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (nodes.every((n) => exists(n))) return;
    if (Date.now() > deadline) throw new AnvilError('exec.device_missing', `partition devices ${nodes.filter((n) => !exists(n)).join(', ')} did not appear after re-reading ${disk}`);
    await nudge();
    await new Promise((r) => setTimeout(r, 200));
  }
}
