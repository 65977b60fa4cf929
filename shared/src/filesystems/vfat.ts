import { KiB } from '../size/units';
import type { FilesystemKind } from './kind';

export const vfat: FilesystemKind = {
  type: 'vfat',
  labelLimit: 11,
  minBytes: 64n * KiB,
  labelForbidden: /[*?.,;:/\\|+=<>[\]"]/,
  uuidPattern: /^[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}$/,
  mkfs: (device, uuid, label, extra) => ['mkfs.vfat', ...(label !== undefined ? ['-n', label] : []), '-i', uuid.replace('-', ''), ...extra, device],
  afterImage: () => [],
  fsckPass: (path) => (path === '/' ? 0 : 2),
};
