import { readFileSync } from 'node:fs';
import type { Condition } from '@anvil/shared';

/** What the machine says to a condition; `table` may be told by the caller (a table it just read with sfdisk). */
export interface ConditionEnv {
  readonly firmware: 'bios' | 'uefi';
  readonly compression?: string;
  /** Set once the qcow2 streamer refused the image. */
  readonly streamer?: 'refused';
  readonly exists: (path: string) => boolean;
  readonly mounted: (path: string) => boolean;
  readonly hasTool: (name: string) => boolean;
  readonly tableOf: (device: string) => Promise<'gpt' | 'msdos' | undefined>;
}

/** What the image pipeline learns while it runs, for the conditions of its stream processes. */
export type ImageFacts = Partial<Pick<ConditionEnv, 'compression' | 'streamer'>>;

export function isMounted(mountpoint: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === mountpoint.replace(/ /g, '\\040'));
  } catch {
    return false;
  }
}

export async function conditionHolds(w: Condition | undefined, env: ConditionEnv): Promise<boolean> {
  if (!w) return true;
  if (w.firmware && w.firmware !== env.firmware) return false;
  if (w.compression && w.compression !== env.compression) return false;
  if (w.streamer && w.streamer !== env.streamer) return false;
  if ((w.tools ?? []).some((t) => !env.hasTool(t))) return false;
  if ((w.exists ?? []).some((p) => !env.exists(p))) return false;
  if ((w.missing ?? []).some((p) => env.exists(p))) return false;
  if (w.unmounted !== undefined && env.mounted(w.unmounted)) return false;
  if (w.table) {
    const label = await env.tableOf(w.table.device).catch(() => undefined);
    if (label !== w.table.label) return false;
  }
  return true;
}
