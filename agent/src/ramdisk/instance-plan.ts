import { AnvilError, checksumFromHex, type InventoryT, type Logger } from '@anvil/shared';
import { z } from 'zod';
import { httpBytes } from '../image/http-source';

/** The `instance_info` fields a standalone Ironic user sets (as documented for the direct deploy). */
export const InstanceInfo = z.looseObject({
  image_source: z.string().optional(),
  image_checksum: z.string().optional(),
  image_os_hash_algo: z.string().optional(),
  image_os_hash_value: z.string().optional(),
  image_type: z.string().optional(),
  image_disk_format: z.string().optional(),
  root_device: z.record(z.string(), z.unknown()).optional(),
  configdrive: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
});
export type InstanceInfoT = z.infer<typeof InstanceInfo>;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** IPA's default root device: the smallest disk of at least 4 GiB. */
const MIN_ROOT_BYTES = 4 * 1024 ** 3;

/** Ironic root device hints → an Anvil disk selector (same semantics; `size` in GiB). */
export function selectorFromHints(hints: Record<string, unknown>): Record<string, unknown> {
  const map: Record<string, string> = { name: 'name', serial: 'serial', wwn: 'wwn', vendor: 'vendor', model: 'model', hctl: 'hctl', by_path: 'by_path', size: 'size', rotational: 'rotational' };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hints)) {
    const to = map[k];
    if (!to) throw new AnvilError('instance.root_device_hint', `instance_info.root_device.${k} is not a root device hint Anvil supports (supported: ${Object.keys(map).join(', ')})`);
    out[to] = k === 'rotational' && typeof v === 'string' ? ['true', '1', 'yes', 'on'].includes(v.toLowerCase()) : v;
  }
  return out;
}

function checksumOfDigest(hex: string, log: Logger): { checksum: string; allow_md5?: boolean } {
  const checksum = checksumFromHex(hex);
  if (!checksum) throw new AnvilError('instance.bad_checksum', `instance_info.image_checksum is neither an md5, sha256 nor sha512 hex digest, nor a URL`);
  if (checksum.startsWith('md5:')) {
    log.warn('instance_info gives only an md5 checksum; prefer image_os_hash_algo/image_os_hash_value with sha256 or sha512');
    return { checksum, allow_md5: true };
  }
  return { checksum };
}

/** A checksums file (`sha256sum` output, or one bare digest): the entry for the image's file name. */
export function pickFromChecksumFile(text: string, imageUrl: string): string | undefined {
  const name = decodeURIComponent(new URL(imageUrl, 'http://x/').pathname.split('/').pop() ?? '');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 1 && /^[0-9a-f]+$/i.test(lines[0]!)) return lines[0];
  for (const line of lines) {
    const m = /^([0-9a-f]+)\s+\*?(.+)$/i.exec(line);
    if (m && (m[2] === name || m[2]!.split('/').pop() === name)) return m[1];
  }
  return undefined;
}

async function resolveChecksum(ii: InstanceInfoT, log: Logger): Promise<{ checksum?: string; allow_md5?: boolean }> {
  if (ii.image_os_hash_algo && ii.image_os_hash_value) {
    const algo = ii.image_os_hash_algo.toLowerCase();
    if (!['sha256', 'sha512', 'md5'].includes(algo)) throw new AnvilError('instance.bad_checksum', `instance_info.image_os_hash_algo ${algo} is not supported (sha256, sha512, md5)`);
    return { checksum: `${algo}:${ii.image_os_hash_value.toLowerCase()}`, ...(algo === 'md5' ? { allow_md5: true } : {}) };
  }
  const c = ii.image_checksum;
  if (!c) return {};
  if (/^[a-z0-9]+:[0-9a-f]+$/i.test(c) && !/^https?:/i.test(c)) {
    const [algo] = c.split(':');
    return { checksum: c.toLowerCase(), ...(algo?.toLowerCase() === 'md5' ? { allow_md5: true } : {}) };
  }
  if (/^https?:\/\//i.test(c)) {
    const parts: Buffer[] = [];
    for await (const b of httpBytes(c, { log, retries: 3 })) parts.push(b);
    const hex = pickFromChecksumFile(Buffer.concat(parts).toString('utf8'), ii.image_source ?? '');
    if (!hex) throw new AnvilError('instance.bad_checksum', `the checksums file ${c} has no entry for the image ${ii.image_source ?? ''}`);
    return checksumOfDigest(hex, log);
  }
  return checksumOfDigest(c, log);
}

/**
 * A plan for plain standalone use: the whole-disk image from `instance_info.image_source` written to the
 * root device (root_device hints, else the smallest disk of at least 4 GiB), and the config drive at the
 * end of that disk.
 */
export async function planFromInstanceInfo(raw: Record<string, unknown>, nodeUuid: string | undefined, inventory: InventoryT, log: Logger): Promise<Record<string, unknown>> {
  const parsed = InstanceInfo.safeParse(raw);
  if (!parsed.success) throw new AnvilError('instance.bad_field', `instance_info.${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''}`);
  const ii = parsed.data;
  const src = ii.image_source;
  if (!src) throw new AnvilError('instance.no_plan', 'nothing to deploy: no plan in the step arguments, driver_info.anvil_metadata_url, instance_info.anvil_plan, nor an instance_info.image_source');
  if (ii.image_type === 'partition') {
    throw new AnvilError('instance.partition_image', 'instance_info.image_type is "partition": give Anvil a plan (instance_info.anvil_plan or the driver-service) that places the filesystem image; the default standalone layout writes whole-disk images only');
  }
  let source: Record<string, unknown>;
  if (/^https?:\/\//i.test(src)) source = { url: src };
  else if (src.startsWith('file://')) source = { file: decodeURIComponent(src.slice('file://'.length)) };
  else if (UUID.test(src)) {
    throw new AnvilError('instance.glance_image', `instance_info.image_source ${src} is a Glance image: the agent has no Glance credentials of its own; deploy it through the Anvil driver-service (driver_info.anvil_metadata_url) or give an http(s) URL`);
  } else throw new AnvilError('instance.bad_image_source', `instance_info.image_source must be an http(s):// or file:// URL or a Glance image UUID, not ${src}`);

  let select: Record<string, unknown>;
  if (ii.root_device && Object.keys(ii.root_device).length) select = selectorFromHints(ii.root_device);
  else {
    const bytes = (d: { size: number | string }): number => Number(d.size);
    const candidates = inventory.disks.filter((d) => bytes(d) >= MIN_ROOT_BYTES && !d.read_only).sort((a, b) => bytes(a) - bytes(b) || a.name.localeCompare(b.name));
    const disk = candidates[0];
    if (!disk) throw new AnvilError('instance.no_root_device', 'no disk of at least 4 GiB to deploy to; set instance_info.root_device hints');
    select = { name: disk.name };
  }
  const format = (ii.image_disk_format ?? 'raw').toLowerCase();
  if (!['raw', 'qcow2'].includes(format)) throw new AnvilError('instance.bad_disk_format', `instance_info.image_disk_format ${format} cannot be deployed as a whole-disk image (raw or qcow2)`);
  const image: Record<string, unknown> = { id: 'image', source, format, target: { disk: 'root' }, ...(await resolveChecksum(ii, log)) };
  const plan: Record<string, unknown> = {
    version: 1,
    metadata: { ...(nodeUuid ? { node_uuid: nodeUuid } : {}), name: 'instance_info', description: 'built by the agent from instance_info (whole-disk image)' },
    disks: [{ id: 'root', select, table: 'none' }],
    images: [image],
  };
  if (ii.configdrive) plan.configdrive = { disk: 'root', source: ii.configdrive };
  return plan;
}
