import { posix } from 'node:path';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';
import { isKept } from '../../model/policy';
import { parseChecksum } from '../../model/checksum';

function isUnder(path: string, mount: string): boolean {
  if (mount === '/') return path.startsWith('/');
  return path === mount || path.startsWith(mount + '/');
}

export function checkImages(ctx: RuleContext): void {
  const { plan, model, rb } = ctx;
  const targets = new Map<string, Path>();
  const mounts = (plan.filesystems ?? []).flatMap((f) => (f.mount ? [f.mount.path] : []));
  (plan.images ?? []).forEach((im, i) => {
    const base: Path = ['images', i];
    const src = im.source;
    const given = (['url', 'file', 'glance'] as const).filter((k) => src[k] !== undefined);
    if (given.length !== 1) rb.add('image.source_invalid', [...base, 'source'], `give exactly one of url, file or glance (got ${given.length ? given.join(', ') : 'none'})`);
    else if (src.url !== undefined && !/^https?:\/\/[^/\s]+/i.test(src.url)) rb.add('image.source_invalid', [...base, 'source', 'url'], `"${src.url}" is not an http or https URL`);
    else if (src.file !== undefined && !posix.isAbsolute(src.file)) rb.add('image.source_invalid', [...base, 'source', 'file'], `"${src.file}" is not an absolute path`);

    if (im.checksum === undefined) {
      rb.add('image.checksum_missing', base, `image "${im.id}" has no checksum`);
    } else {
      const c = parseChecksum(im.checksum);
      if (!c) rb.add('image.checksum_invalid', [...base, 'checksum'], 'expected sha256:<64 hex>, sha512:<128 hex> or md5:<32 hex>');
      else if (c.algorithm === 'md5' && im.allow_md5 !== true) rb.add('image.md5_not_allowed', [...base, 'checksum'], 'md5 is too weak to trust; use sha256 or set allow_md5: true');
    }

    const format = im.format ?? 'raw';
    const t = im.target;
    const keys = (['disk', 'device', 'path'] as const).filter((k) => t[k] !== undefined);
    const want = format === 'raw' || format === 'qcow2' ? 'disk' : format === 'filesystem' ? 'device' : 'path';
    if (keys.length !== 1 || keys[0] !== want) {
      rb.add('image.target_invalid', [...base, 'target'], `a ${format} image needs target.${want} (and nothing else)`);
      return;
    }
    const key = `${want}:${t[want]!}`;
    const prior = targets.get(key);
    if (prior) rb.add('image.duplicate_target', [...base, 'target', want], `/${prior.join('/')} already writes to ${t[want]!}`);
    targets.set(key, base);

    if (want === 'disk') {
      const disk = model.nodes.get(t.disk!);
      if (disk?.kind === 'disk' && (disk.obj.partitions ?? []).length > 0) {
        rb.add('image.collides_with_partitions', [...base, 'target', 'disk'], `a whole-disk image brings its own partition table; disk "${t.disk!}" also lists partitions`);
      }
    } else if (want === 'device') {
      const fs = model.filesystemOn.get(t.device!);
      if (!fs) rb.add('image.filesystem_missing', [...base, 'target', 'device'], `add a filesystems entry for "${t.device!}" (type, mount) so the image can be grown and mounted`);
      if (model.nodes.has(t.device!) && isKept(model, fs?.id ?? t.device!)) rb.add('image.target_kept', [...base, 'target', 'device'], `"${t.device!}" holds data marked keep`);
    } else {
      const p = t.path!;
      if (!posix.isAbsolute(p) || !mounts.some((m) => isUnder(p, m))) rb.add('image.target_invalid', [...base, 'target', 'path'], `"${p}" is not inside any mounted filesystem of the plan`);
      const owner = (plan.filesystems ?? [])
        .filter((f) => f.mount && isUnder(p, f.mount.path))
        .sort((a, b) => b.mount!.path.length - a.mount!.path.length)[0];
      if (owner && isKept(model, owner.id)) rb.add('image.target_kept', [...base, 'target', 'path'], `"${p}" is on the kept filesystem "${owner.id}"`);
    }
  });
}
