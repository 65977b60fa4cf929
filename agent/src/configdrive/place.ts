import { AnvilError } from '@anvil/shared';
import { partNumber, type SfdiskTableT } from '../disk/table';

const MBR_MAX = 2 ** 32 - 1;

export interface Placement {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
}

/**
 * Where the config drive partition goes behind a whole-disk image, from the table the image brought. GPT: behind
 * the last partition, within the usable area; MBR: a free primary slot, below 2^32 sectors even on larger disks.
 */
export function placeConfigdrive(table: SfdiskTableT, disk: string, bytes: number, diskBytes: number): Placement {
  const sector = table.sectorsize ?? 512;
  const parts = table.partitions ?? [];
  const total = Math.floor(diskBytes / sector);
  const sectors = Math.ceil(bytes / sector);
  const align = Math.max(1, (1 << 20) / sector);
  const usedEnd = parts.reduce((m, p) => Math.max(m, p.start + p.size - 1), 0);
  let number: number;
  let start: number;
  if (table.label === 'gpt') {
    const last = total - 1 - (1 + Math.ceil(16384 / sector));
    start = Math.floor((last + 1 - sectors) / align) * align;
    number = parts.reduce((m, p) => Math.max(m, partNumber(p.node)), 0) + 1;
  } else {
    const used = new Set(parts.map((p) => partNumber(p.node)).filter((n) => n <= 4));
    const free = [1, 2, 3, 4].find((n) => !used.has(n));
    if (free === undefined) throw new AnvilError('configdrive.mbr_no_slot', `${disk} has four primary partitions; there is no slot for the config drive`);
    number = free;
    const last = Math.min(total - 1, MBR_MAX);
    start = Math.floor((last + 1 - sectors) / align) * align;
  }
  if (start <= usedEnd) throw new AnvilError('configdrive.no_space', `no room for a ${bytes}-byte config drive after the last partition of ${disk}`);
  return { number, start, end: start + sectors - 1, bytes: sectors * sector };
}
