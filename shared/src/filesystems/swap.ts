import { KiB } from '../size/units';
import { UUID_RE, type FilesystemKind } from './kind';

export const swap: FilesystemKind = {
  type: 'swap',
  labelLimit: 15,
  minBytes: 40n * KiB,
  uuidPattern: UUID_RE,
  mkfs: (device, uuid, label, extra) => ['mkswap', '-f', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device],
  afterImage: () => [],
  fsckPass: () => 0,
};
