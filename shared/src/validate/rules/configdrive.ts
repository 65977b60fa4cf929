import { formatBytes } from '../../size/units';
import { CONFIGDRIVE_MAX, configdriveBytes, decodeConfigdriveString } from '../../model/configdrive';
import type { RuleContext } from './context';

export function checkConfigdrive(ctx: RuleContext): void {
  const { plan, model, rb } = ctx;
  const cd = plan.configdrive;
  if (!cd) return;
  const bytes = configdriveBytes(cd.size);
  if (bytes > CONFIGDRIVE_MAX) rb.add('configdrive.too_large', ['configdrive', 'size'], `${formatBytes(bytes)} is over the 64 MiB limit`);
  if (bytes === 0n) rb.add('size.zero', ['configdrive', 'size'], 'a config drive needs space');
  const disk = model.nodes.get(cd.disk);
  if (disk?.kind === 'disk' && (disk.obj.table ?? 'gpt') === 'none') {
    const wholeDisk = (plan.images ?? []).some((im) => im.target.disk === cd.disk);
    if (!wholeDisk) rb.add('configdrive.target_invalid', ['configdrive', 'disk'], `disk "${cd.disk}" has no partition table and receives no whole-disk image, so there is nowhere to put a config drive partition`);
  }
  if (typeof cd.source === 'string') {
    const s = cd.source.trim();
    if (/^https?:\/\//i.test(s)) return;
    if (!decodeConfigdriveString(s)) rb.add('configdrive.invalid_encoding', ['configdrive', 'source'], 'the string is neither an http(s) URL nor base64 of a gzip-compressed ISO 9660 image');
  }
}
