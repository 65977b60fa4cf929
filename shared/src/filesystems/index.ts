import type { FsType } from '../plan/v1/filesystem';
import { btrfs } from './btrfs';
import { ext2, ext3, ext4 } from './ext';
import type { FilesystemKind } from './kind';
import { swap } from './swap';
import { vfat } from './vfat';
import { xfs } from './xfs';

export type { FilesystemKind } from './kind';

export const FILESYSTEMS: Readonly<Record<FsType, FilesystemKind>> = { ext2, ext3, ext4, xfs, vfat, swap, btrfs };

export function filesystemKind(type: FsType): FilesystemKind {
  return FILESYSTEMS[type];
}
