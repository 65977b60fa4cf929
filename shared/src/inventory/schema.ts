import { z } from 'zod';

/** One block device as the agent sees it (lsblk/udev/sysfs). Sizes are bytes. */
export const InventoryDisk = z.strictObject({
  name: z.string().min(1).describe('Kernel device path, e.g. `/dev/sda`.'),
  size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).describe('Size in bytes.'),
  logical_sector_size: z.number().int().positive().optional().describe('Default 512.'),
  physical_sector_size: z.number().int().positive().optional().describe('Default: the logical sector size.'),
  serial: z.string().nullable().optional(),
  wwn: z.string().nullable().optional().describe('The World Wide Name (udev ID_WWN).'),
  wwn_with_extension: z.string().nullable().optional().describe('The WWN with its vendor extension (udev ID_WWN_WITH_EXTENSION).'),
  wwn_vendor_extension: z.string().nullable().optional().describe('The WWN vendor extension alone (udev ID_WWN_VENDOR_EXTENSION).'),
  vendor: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
  hctl: z.string().nullable().optional(),
  by_path: z.array(z.string()).optional().describe('`/dev/disk/by-path/` links.'),
  by_id: z.array(z.string()).optional().describe('`/dev/disk/by-id/` links.'),
  rotational: z.boolean().optional(),
  removable: z.boolean().optional(),
  read_only: z.boolean().optional(),
  holders: z.array(z.string()).optional().describe('Devices stacked on this disk or its partitions (md, dm).'),
  signatures: z.array(z.string()).optional().describe('Existing signatures (partition table, filesystems, md, LVM).'),
});

export const Inventory = z.strictObject({
  disks: z.array(InventoryDisk),
});

export type InventoryDiskT = z.infer<typeof InventoryDisk>;
export type InventoryT = z.infer<typeof Inventory>;

/** The facts about a disk that layout needs. */
export interface DiskGeometry {
  readonly size: bigint;
  readonly logicalSector: bigint;
  readonly physicalSector: bigint;
}

export function geometryOf(d: InventoryDiskT): DiskGeometry {
  const logical = BigInt(d.logical_sector_size ?? 512);
  return {
    size: BigInt(d.size),
    logicalSector: logical,
    physicalSector: BigInt(d.physical_sector_size ?? Number(logical)),
  };
}
