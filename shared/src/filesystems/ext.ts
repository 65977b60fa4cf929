import type { FsType } from '../plan/v1/filesystem';
import { UUID_RE, type FilesystemKind } from './kind';

function ext(type: Extract<FsType, 'ext2' | 'ext3' | 'ext4'>): FilesystemKind {
  return {
    type,
    labelLimit: 16,
    uuidPattern: UUID_RE,
    mkfs: (device, uuid, label, extra) => [`mkfs.${type}`, '-F', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device],
    // e2fsck -p exits 1 when it corrected something: that is success here.
    afterImage: (device, uuid) => [{ argv: ['e2fsck', '-f', '-p', device], okCodes: [1], failCode: 'image.fsck_failed' }, { argv: ['resize2fs', device] }, { argv: ['tune2fs', '-U', uuid, device] }],
    fsckPass: (path) => (path === '/' ? 1 : 2),
  };
}

export const ext2 = ext('ext2');
export const ext3 = ext('ext3');
export const ext4 = ext('ext4');
