import { AnvilError, type InventoryT, type Logger } from '@anvil/shared';
import { readInstanceInfo, resolveChecksum } from '@anvil/shared/protocol';
import { httpBytes } from '../image/http-source';

/** Ironic's instance_info is read by the protocol's one reader (shared/src/protocol/instance-info.ts), the same the driver-service uses. */
export { pickFromChecksumFile } from '@anvil/shared/protocol';

/** IPA's default root device: the smallest disk of at least 4 GiB. */
const MIN_ROOT_BYTES = 4 * 1024 ** 3;

/** Ironic root device hints → an Anvil disk selector (same semantics; `size` in GiB). */
export function selectorFromHints(hints: Record<string, unknown>): Record<string, unknown> {
  const map: Record<string, string> = { name: 'name', serial: 'serial', wwn: 'wwn', wwn_with_extension: 'wwn_with_extension', wwn_vendor_extension: 'wwn_vendor_extension', vendor: 'vendor', model: 'model', hctl: 'hctl', by_path: 'by_path', size: 'size', rotational: 'rotational' };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hints)) {
    const to = map[k];
    if (!to) throw new AnvilError('instance.root_device_hint', `instance_info.root_device.${k} is not a root device hint Anvil supports (supported: ${Object.keys(map).join(', ')})`);
    out[to] = k === 'rotational' && typeof v === 'string' ? ['true', '1', 'yes', 'on'].includes(v.toLowerCase()) : v;
  }
  return out;
}

/** A checksums file named by instance_info.image_checksum, read with the agent's downloader (its retries). */
async function readChecksumFile(url: string, log: Logger): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of httpBytes(url, { log, retries: 3 })) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * A plan for plain standalone use: the whole-disk image from `instance_info.image_source` written to the
 * root device (root_device hints, else the smallest disk of at least 4 GiB), and the config drive at the
 * end of that disk.
 */
export async function planFromInstanceInfo(raw: Record<string, unknown>, nodeUuid: string | undefined, inventory: InventoryT, log: Logger): Promise<Record<string, unknown>> {
  const ii = readInstanceInfo(raw);
  const src = ii.source;
  if (!src) throw new AnvilError('instance.no_plan', 'nothing to deploy: no plan in the step arguments, driver_info.anvil_metadata_url, instance_info.anvil_plan, nor an instance_info.image_source');
  if (ii.partition) {
    throw new AnvilError('instance.partition_image', 'instance_info.image_type is "partition": give Anvil a plan (instance_info.anvil_plan or the driver-service) that places the filesystem image; the default standalone layout writes whole-disk images only');
  }
  if (src.kind === 'glance') {
    throw new AnvilError('instance.glance_image', `instance_info.image_source ${src.image_id} is a Glance image: the agent has no Glance credentials of its own; deploy it through the Anvil driver-service (driver_info.anvil_metadata_url) or give an http(s) URL`);
  }
  const source: Record<string, unknown> = src.kind === 'url' ? { url: src.url } : { file: src.path };

  let select: Record<string, unknown>;
  if (ii.root_device) select = selectorFromHints(ii.root_device);
  else {
    const bytes = (d: { size: number | string }): number => Number(d.size);
    const candidates = inventory.disks.filter((d) => bytes(d) >= MIN_ROOT_BYTES && !d.read_only).sort((a, b) => bytes(a) - bytes(b) || a.name.localeCompare(b.name));
    const disk = candidates[0];
    if (!disk) throw new AnvilError('instance.no_root_device', 'no disk of at least 4 GiB to deploy to; set instance_info.root_device hints');
    select = { name: disk.name };
  }
  const format = ii.disk_format ?? 'raw';
  if (!['raw', 'qcow2'].includes(format)) throw new AnvilError('instance.bad_disk_format', `instance_info.image_disk_format ${format} cannot be deployed as a whole-disk image (raw or qcow2)`);
  const checksum = await resolveChecksum(ii, (url) => readChecksumFile(url, log));
  if (checksum?.md5) log.warn('instance_info gives only an md5 checksum; prefer image_os_hash_algo/image_os_hash_value with sha256 or sha512');
  const image: Record<string, unknown> = { id: 'image', source, format, target: { disk: 'root' }, ...(checksum ? { checksum: checksum.checksum, ...(checksum.md5 ? { allow_md5: true } : {}) } : {}) };
  const plan: Record<string, unknown> = {
    version: 1,
    metadata: { ...(nodeUuid ? { node_uuid: nodeUuid } : {}), name: 'instance_info', description: 'built by the agent from instance_info (whole-disk image)' },
    disks: [{ id: 'root', select, table: 'none' }],
    images: [image],
  };
  if (ii.configdrive) plan.configdrive = { disk: 'root', source: ii.configdrive };
  return plan;
}
