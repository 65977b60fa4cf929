import { z } from 'zod';
import { Id, Keep, Ref } from './common';

export const FS_TYPES = ['ext2', 'ext3', 'ext4', 'xfs', 'vfat', 'swap', 'btrfs'] as const;
export type FsType = (typeof FS_TYPES)[number];

export const Mount = z
  .strictObject({
    path: z.string().describe('Absolute mount path in the deployed system.'),
    options: z.array(z.string()).optional().describe('Mount options. Default `defaults`.'),
  })
  .describe('Where the filesystem is mounted (during deployment under the target root, and in fstab).');

export const Filesystem = z
  .strictObject({
    id: Id,
    device: Ref.describe('The device: a partition, array, logical volume or whole disk (`table: none`).'),
    type: z.enum(FS_TYPES),
    label: z.string().optional(),
    uuid: z.string().optional().describe('Filesystem UUID (vfat: volume id `XXXX-XXXX`). Default: a random one.'),
    mkfs_options: z.array(z.string()).optional().describe('Extra arguments for mkfs, one per element.'),
    mount: Mount.optional(),
    fstab: z.boolean().optional().describe('Write an fstab line (by UUID). Default true.'),
    keep: Keep.optional(),
  })
  .describe('A filesystem (or swap) on a device.');

export type FilesystemT = z.infer<typeof Filesystem>;
