import { AnvilError, partitionDevice, type Logger } from '@anvil/shared';
import type { Runner } from '../system/runner';
import { partNumber, readTable, rereadTable, waitForNodes } from '../disk/table';
import { CONFIG_LABEL } from './build';

const MBR_MAX = 2 ** 32 - 1;

/**
 * After a whole-disk image: find or make the config drive partition at the end of the disk. An existing
 * config-2 partition is reused. GPT: behind the last partition, within the usable area; MBR: a free
 * primary slot, below 2^32 sectors even on larger disks.
 */
export async function placeConfigdrive(runner: Runner, log: Logger, disk: string, bytes: number, diskBytes: number): Promise<{ device: string; bytes: number }> {
  await rereadTable(runner, disk);
  const table = await readTable(runner, disk);
  if (!table) throw new AnvilError('configdrive.no_table', `${disk} has no partition table after the image was written; a config drive needs one`);
  const sector = table.sectorsize ?? 512;
  const parts = table.partitions ?? [];
  for (const p of parts) {
    const label = (await runner.run(['blkid', '-p', '-o', 'value', '-s', 'LABEL', p.node], { allowFail: true })).stdout.trim();
    if (label.toLowerCase() === CONFIG_LABEL) {
      log.info({ device: p.node }, 'reusing the existing config-2 partition');
      return { device: p.node, bytes: p.size * sector };
    }
  }
  const total = Math.floor(diskBytes / sector);
  const sectors = Math.ceil(bytes / sector);
  const align = Math.max(1, (1 << 20) / sector);
  const usedEnd = parts.reduce((m, p) => Math.max(m, p.start + p.size - 1), 0);
  let number: number;
  let argv: string[];
  let start: number;
  let end: number;
  if (table.label === 'gpt') {
    const last = total - 1 - (1 + Math.ceil(16384 / sector));
    start = Math.floor((last + 1 - sectors) / align) * align;
    end = start + sectors - 1;
    number = parts.reduce((m, p) => Math.max(m, partNumber(p.node)), 0) + 1;
    argv = ['sgdisk', `--new=${number}:${start}:${end}`, `--typecode=${number}:0FC63DAF-8483-4772-8E79-3D69D8477DE4`, `--change-name=${number}:${CONFIG_LABEL}`, disk];
  } else {
    const used = new Set(parts.map((p) => partNumber(p.node)).filter((n) => n <= 4));
    const free = [1, 2, 3, 4].find((n) => !used.has(n));
    if (free === undefined) throw new AnvilError('configdrive.mbr_no_slot', `${disk} has four primary partitions; there is no slot for the config drive`);
    number = free;
    const last = Math.min(total - 1, MBR_MAX);
    start = Math.floor((last + 1 - sectors) / align) * align;
    end = start + sectors - 1;
    argv = ['parted', '--script', '--align', 'none', disk, 'unit', 's', 'mkpart', 'primary', String(start), String(end)];
  }
  if (start <= usedEnd) throw new AnvilError('configdrive.no_space', `no room for a ${bytes}-byte config drive after the last partition of ${disk}`);
  await runner.run(argv);
  await rereadTable(runner, disk);
  const device = partitionDevice(disk, number);
  await waitForNodes(runner, disk, [device]);
  return { device, bytes: sectors * sector };
}
