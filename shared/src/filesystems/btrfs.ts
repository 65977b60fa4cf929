import { MiB } from '../size/units';
import { UUID_RE, type FilesystemKind } from './kind';

export const btrfs: FilesystemKind = {
  type: 'btrfs',
  labelLimit: 255,
  minBytes: 109n * MiB,
  uuidPattern: UUID_RE,
  mkfs: (device, uuid, label, extra) => ['mkfs.btrfs', '-f', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device],
  afterImage: (device, uuid) => [{ argv: ['btrfstune', '-f', '-U', uuid, device] }],
  growMounted: (mountpoint) => ['btrfs', 'filesystem', 'resize', 'max', mountpoint],
  fsckPass: () => 0,
};
