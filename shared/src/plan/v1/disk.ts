import { z } from 'zod';
import { FixedSize, Id, Keep, Size, WipeMode } from './common';

const StringHint = z
  .string()
  .describe(
    'Ironic root-device-hint string: a plain value matches exactly; operators `s== v`, `s!= v`, `<in> v` (substring), `<or> a <or> b`; `name` and `by_path` also take globs (`/dev/sd*`).',
  );

export const DiskSelector = z
  .strictObject({
    name: StringHint.optional().describe('Kernel name, `sda` or `/dev/sda` (glob allowed).'),
    by_path: StringHint.optional().describe('A `/dev/disk/by-path/` link, with or without that prefix (glob allowed).'),
    by_id: StringHint.optional().describe('A `/dev/disk/by-id/` link, with or without that prefix.'),
    serial: StringHint.optional(),
    wwn: StringHint.optional(),
    wwn_with_extension: StringHint.optional().describe('The WWN with its vendor extension, as Ironic’s hint of that name.'),
    wwn_vendor_extension: StringHint.optional().describe('The WWN vendor extension, as Ironic’s hint of that name.'),
    vendor: StringHint.optional(),
    model: StringHint.optional(),
    hctl: StringHint.optional().describe('SCSI host:channel:target:lun.'),
    size: z
      .union([z.number().int().nonnegative(), z.string()])
      .optional()
      .describe(
        'Disk size. An integer is GiB, as in Ironic hints; a string is an operator and a size, e.g. `>= 100GiB`, `== 480GB`, `< 2TiB` (operators `==`, `!=`, `>=`, `>`, `<=`, `<`; default `==`).',
      ),
    rotational: z.boolean().optional().describe('true for spinning disks, false for SSD/NVMe.'),
  })
  .describe('Root-device-hint style selector; every given hint must match, and exactly one disk must match.');

export const PARTITION_FLAGS = ['boot', 'esp', 'bios_grub', 'legacy_boot', 'raid', 'lvm', 'swap', 'hidden', 'msftres'] as const;

const PartitionBase = {
  id: Id,
  size: Size,
  start: FixedSize.optional().describe(
    'Explicit start offset from the beginning of the disk (usually only to describe an existing layout under `verify`).',
  ),
  type: z
    .string()
    .optional()
    .describe(
      'GPT type: an alias (`esp`, `bios_grub`, `linux`, `raid`, `lvm`, `swap`, `home`, `srv`, `root`, `xbootldr`, `basic_data`) or a GUID. On msdos the aliases map to MBR bytes.',
    ),
  mbr_type: z
    .union([z.number().int().min(0).max(255), z.string().regex(/^0x[0-9a-fA-F]{1,2}$/)])
    .optional()
    .describe('MBR partition type byte (msdos only), e.g. `0x83` or 131.'),
  name: z.string().max(36).optional().describe('GPT partition name (at most 36 characters).'),
  flags: z.array(z.enum(PARTITION_FLAGS)).optional().describe('Partition flags.'),
  keep: Keep.optional(),
};

export const LogicalPartition = z.strictObject(PartitionBase).describe('A logical partition inside an extended partition.');

export const Partition = z
  .strictObject({
    ...PartitionBase,
    kind: z
      .enum(['primary', 'extended'])
      .optional()
      .describe('msdos only: `extended` makes a container for `logical` partitions. Default `primary`.'),
    logical: z.array(LogicalPartition).optional().describe('Logical partitions (only in an `extended` partition).'),
  })
  .describe('A partition, in disk order.');

export const Disk = z
  .strictObject({
    id: Id,
    select: DiskSelector,
    table: z.enum(['gpt', 'msdos', 'none']).optional().describe('Partition table; `none` uses the whole disk. Default `gpt`.'),
    alignment: FixedSize.optional().describe('Partition start alignment. Default 1 MiB.'),
    wipe: WipeMode.optional().describe('How to wipe this disk before partitioning; overrides `policy.wipe`.'),
    partitions: z.array(Partition).optional().describe('Partitions in disk order. Starts are aligned; at most one may be `remaining`.'),
  })
  .describe('A disk the plan takes over. Only disks listed here are ever touched.');

export type DiskSelectorT = z.infer<typeof DiskSelector>;
export type PartitionT = z.infer<typeof Partition>;
export type LogicalPartitionT = z.infer<typeof LogicalPartition>;
export type DiskT = z.infer<typeof Disk>;
