import { silentLogger, type InventoryT } from '@anvil/shared';

export const GiB = 1024 ** 3;

/** The logger the ramdisk's plan code is given in unit tests: it prints nothing. */
export const log = silentLogger();

/**
 * The machine a deploy's plan is made for: a disk too small for a whole-disk image (2 GiB), a large one (480 GiB)
 * and, between them, the smallest that fits (240 GiB, NVMe).
 */
export const inventory: InventoryT = {
  disks: [
    { name: '/dev/sda', size: 2 * GiB },
    { name: '/dev/sdb', size: 480 * GiB },
    { name: '/dev/nvme0n1', size: 240 * GiB },
  ],
};
