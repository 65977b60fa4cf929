import { posix } from 'node:path';
import { filesystemKind } from '../../filesystems';
import { formatBytes } from '../../size/units';
import type { Path } from '../../report/report';
import type { RuleContext, SizedRuleContext } from './context';


export function isNormalAbsolute(path: string): boolean {
  return path.startsWith('/') && posix.normalize(path) === path && (path === '/' || !path.endsWith('/'));
}

export function checkFilesystems(ctx: RuleContext): void {
  const { plan, rb } = ctx;
  const mounts = new Map<string, Path>();
  const roots: Path[] = [];
  (plan.filesystems ?? []).forEach((f, i) => {
    const base: Path = ['filesystems', i];
    const kind = filesystemKind(f.type);
    if (f.label !== undefined) {
      const bytes = Buffer.byteLength(f.label, 'utf8');
      if (bytes > kind.labelLimit) rb.add('fs.label_too_long', [...base, 'label'], `${f.type} labels hold ${kind.labelLimit} bytes; "${f.label}" has ${bytes}`);
      const bad = kind.labelForbidden ? f.label.match(kind.labelForbidden) : null;
      if (bad) rb.add('fs.label_invalid', [...base, 'label'], `${f.type} labels cannot hold ${JSON.stringify(bad[0])}`);
    }
    if (f.uuid !== undefined) {
      const ok = kind.uuidPattern.test(f.uuid);
      if (!ok) rb.add('fs.uuid_invalid', [...base, 'uuid'], f.type === 'vfat' ? `vfat volume ids look like "ABCD-1234"; got "${f.uuid}"` : `"${f.uuid}" is not a UUID`);
    }
    if (f.type === 'swap' && f.mount !== undefined) rb.add('fs.swap_mounted', [...base, 'mount'], 'swap is enabled, not mounted; remove `mount`');
    if (f.mount) {
      const p = f.mount.path;
      if (!isNormalAbsolute(p)) rb.add('mount.not_absolute', [...base, 'mount', 'path'], `"${p}" is not an absolute, normalised path`);
      const prior = mounts.get(p);
      if (prior) rb.add('mount.duplicate', [...base, 'mount', 'path'], `"${p}" is already the mount path of /${prior.join('/')}`);
      else mounts.set(p, base);
      if (p === '/') roots.push(base);
    }
  });
  const wholeDiskImage = (plan.images ?? []).some((im) => im.target.disk !== undefined);
  if (roots.length > 1) roots.slice(1).forEach((r) => rb.add('mount.multiple_root', [...r, 'mount', 'path'], 'another filesystem is already mounted at "/"'));
  if (roots.length === 0 && mounts.size > 0 && !wholeDiskImage) {
    rb.add('mount.no_root', ['filesystems'], 'filesystems are mounted but none at "/"');
  }
}

export function checkFilesystemSizes(ctx: SizedRuleContext): void {
  (ctx.plan.filesystems ?? []).forEach((f, i) => {
    const min = filesystemKind(f.type).minBytes;
    const size = ctx.capacity.sizes.get(f.device);
    if (min !== undefined && size !== undefined && size < min) {
      ctx.rb.add('fs.too_small', ['filesystems', i, 'device'], `mkfs.${f.type === 'swap' ? 'swap' : f.type} needs at least ${formatBytes(min)}; "${f.device}" has ${formatBytes(size)}`);
    }
  });
}
