import { MiB } from '../size/units';
import { UUID_RE, type FilesystemKind } from './kind';

export const xfs: FilesystemKind = {
  type: 'xfs',
  labelLimit: 12,
  minBytes: 300n * MiB,
  uuidPattern: UUID_RE,
  mkfs: (device, uuid, label, extra) => ['mkfs.xfs', '-f', ...(label !== undefined ? ['-L', label] : []), '-m', `uuid=${uuid}`, ...extra, device],
  afterImage: (device, uuid) => [{ argv: ['xfs_admin', '-U', uuid, device] }],
  // XFS grows only while mounted.
  growMounted: (mountpoint) => ['xfs_growfs', mountpoint],
  // XFS checks itself at mount time; fsck.xfs does nothing.
  fsckPass: () => 0,
};
