import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { Condition } from '@anvil/shared';
import type { ImageFacts } from '../image/pipe-lookup';

/** What the machine says to a condition; `table` may be told by the caller (a table it just read with sfdisk). */
export interface ConditionEnv extends ImageFacts {
  readonly firmware: 'bios' | 'uefi';
  readonly exists: (path: string) => boolean;
  readonly mounted: (path: string) => boolean;
  readonly hasTool: (name: string) => boolean;
  readonly writeZeroes: (device: string) => boolean;
  readonly tableOf: (device: string) => Promise<'gpt' | 'msdos' | undefined>;
}


/**
 * Whether a block device offloads write-zeroes: its queue (a partition's is its disk's) says a non-zero
 * write_zeroes_max_bytes. The kernel then zeroes with the device's own command (NVMe Write Zeroes, SCSI WRITE
 * SAME, a loop file's fallocate, virtio's WRITE_ZEROES) instead of sending zero pages. ANVIL_WRITE_ZEROES=off
 * in the agent's environment says no for every device.
 */
export function offloadsWriteZeroes(device: string): boolean {
  // For devices that advertise WRITE SAME but run it at media speed, or not to trust it at all.
  if (process.env.ANVIL_WRITE_ZEROES === 'off') return false;
  try {
    const name = basename(realpathSync(device));
    const sys = `/sys/class/block/${name}`;
    const queue = existsSync(`${sys}/queue`) ? `${sys}/queue` : `${realpathSync(sys)}/../queue`;
    return Number(readFileSync(`${queue}/write_zeroes_max_bytes`, 'utf8').trim()) > 0;
  } catch {
    return false;
  }
}

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
  if (w.zstdFrames && w.zstdFrames !== env.zstdFrames) return false;
  if (w.streamer && w.streamer !== env.streamer) return false;
  if ((w.tools ?? []).some((t) => !env.hasTool(t))) return false;
  if ((w.exists ?? []).some((p) => !env.exists(p))) return false;
  if ((w.missing ?? []).some((p) => env.exists(p))) return false;
  if (w.unmounted !== undefined && env.mounted(w.unmounted)) return false;
  if (w.writeZeroes !== undefined && !env.writeZeroes(w.writeZeroes)) return false;
  if (w.table) {
    const label = await env.tableOf(w.table.device).catch(() => undefined);
    if (label !== w.table.label) return false;
  }
  return true;
}
