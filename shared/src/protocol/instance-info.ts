import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import { checksumFromHex, parseChecksum } from '../model/checksum';
import { InstanceFlavorFields } from './instance-flavor';

/*
 * Ironic's `instance_info`, read once for both ends: the driver-service fills a layout's placeholders
 * from it, the agent builds a whole-disk plan from it when there is no other plan. Ironic's rules are
 * followed (its direct deploy): `image_os_hash_algo` + `image_os_hash_value` win over `image_checksum`;
 * `image_checksum` is a bare digest (md5 is deprecated but accepted) or, in standalone mode, the URL of
 * a checksums file (`sha256sum` output) holding the image's digest. Both ends follow such a URL: the
 * service refused it before, the agent followed it, and Ironic itself follows it.
 */

export const InstanceInfo = z.looseObject({
  image_source: z.string().optional(),
  image_checksum: z.string().optional(),
  image_os_hash_algo: z.string().optional(),
  image_os_hash_value: z.string().optional(),
  image_type: z.string().optional(),
  image_disk_format: z.string().optional(),
  root_device: z.record(z.string(), z.unknown()).optional(),
  configdrive: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  anvil_layout: z.string().optional(),
  anvil_plan: z.unknown().optional(),
  ...InstanceFlavorFields,
});
export type InstanceInfo = z.infer<typeof InstanceInfo>;

/** The instance_info keys Anvil reads (for the contract a conductor plugin gets). */
export const INSTANCE_INFO_KEYS = Object.keys(InstanceInfo.shape);

export type ImageSourceRef = { readonly kind: 'url'; readonly url: string } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'glance'; readonly image_id: string };

/** A digest known now (`algo:hex`), or a checksums file still to read. */
export type ChecksumRef = { readonly kind: 'digest'; readonly checksum: string; readonly md5: boolean } | { readonly kind: 'file'; readonly url: string };

export interface InstanceImage {
  readonly source?: ImageSourceRef;
  readonly checksum?: ChecksumRef;
  /** `image_disk_format`, lower case. */
  readonly disk_format?: string;
  /** `image_type: partition`. */
  readonly partition: boolean;
  /** The config drive of the provision request (absent when Ironic has none; `******` when its API masked it). */
  readonly configdrive?: string | Record<string, unknown>;
  readonly root_device?: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const bad = (message: string): AnvilError => new AnvilError('instance.bad_checksum', message, {}, 409);

/** `algo:hex` from a hash algorithm and digest as OpenStack gives them (either case), checked. */
export function checksumFromHash(algo: string, value: string, what: string): ChecksumRef {
  const text = `${algo.trim().toLowerCase()}:${value.trim().toLowerCase()}`;
  const c = parseChecksum(text);
  if (!c) throw bad(`${what} is not a ${algo} digest Anvil verifies (sha256, sha512, or md5)`);
  return { kind: 'digest', checksum: `${c.algorithm}:${c.value}`, md5: c.algorithm === 'md5' };
}

function checksumRef(ii: InstanceInfo): ChecksumRef | undefined {
  const algo = ii.image_os_hash_algo?.trim();
  const value = ii.image_os_hash_value?.trim();
  if (algo && value) return checksumFromHash(algo, value, 'instance_info.image_os_hash_algo/image_os_hash_value');
  const c = ii.image_checksum?.trim();
  if (!c) return undefined;
  if (/^https?:\/\//i.test(c)) return { kind: 'file', url: c };
  const prefixed = parseChecksum(c);
  if (prefixed) return { kind: 'digest', checksum: `${prefixed.algorithm}:${prefixed.value}`, md5: prefixed.algorithm === 'md5' };
  const bare = checksumFromHex(c);
  if (bare) return { kind: 'digest', checksum: bare, md5: bare.startsWith('md5:') };
  throw bad('instance_info.image_checksum is neither an md5, sha256 nor sha512 hex digest, nor the http(s) URL of a checksums file');
}

function sourceRef(src: string | undefined): ImageSourceRef | undefined {
  if (!src) return undefined;
  if (/^https?:\/\//i.test(src)) return { kind: 'url', url: src };
  if (src.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(src.slice('file://'.length)) };
  if (UUID.test(src)) return { kind: 'glance', image_id: src };
  throw new AnvilError('instance.bad_image_source', `instance_info.image_source must be an http(s):// or file:// URL or a Glance image UUID, not ${src}`, {}, 409);
}

/** What instance_info says about this deploy's image and config drive. Throws AnvilError `instance.*`. */
export function readInstanceInfo(raw: Record<string, unknown>): InstanceImage {
  const parsed = InstanceInfo.safeParse(raw);
  if (!parsed.success) throw new AnvilError('instance.bad_field', `instance_info.${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''}`, {}, 409);
  const ii = parsed.data;
  // Ironic stores unset fields as empty strings as often as it leaves them out.
  const source = sourceRef(ii.image_source || undefined);
  const checksum = checksumRef(ii);
  const format = ii.image_disk_format?.trim().toLowerCase();
  const cd = ii.configdrive;
  return {
    ...(source ? { source } : {}),
    ...(checksum ? { checksum } : {}),
    ...(format ? { disk_format: format } : {}),
    partition: ii.image_type === 'partition',
    ...(cd !== undefined && cd !== null && cd !== '' ? { configdrive: cd } : {}),
    ...(ii.root_device && Object.keys(ii.root_device).length ? { root_device: ii.root_device } : {}),
  };
}

/** A checksums file (`sha256sum` output, or one bare digest): the digest for the image's file name. */
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

/**
 * The image's digest, reading the checksums file when instance_info names one (`fetchText` is the
 * caller's HTTP client: the agent's and the service's differ). `md5` is true for an md5 digest, which
 * a plan accepts only with `allow_md5`.
 */
export async function resolveChecksum(image: InstanceImage, fetchText: (url: string) => Promise<string>): Promise<{ checksum: string; md5: boolean } | undefined> {
  const c = image.checksum;
  if (!c) return undefined;
  if (c.kind === 'digest') return { checksum: c.checksum, md5: c.md5 };
  const imageUrl = image.source?.kind === 'url' ? image.source.url : image.source?.kind === 'file' ? `file://${image.source.path}` : '';
  const hex = pickFromChecksumFile(await fetchText(c.url), imageUrl);
  if (!hex) throw bad(`the checksums file of instance_info.image_checksum has no entry for the image ${imageUrl.replace(/\?.*$/, '')}`);
  const checksum = checksumFromHex(hex);
  if (!checksum) throw bad('the checksums file of instance_info.image_checksum holds a digest that is neither md5, sha256 nor sha512');
  return { checksum, md5: checksum.startsWith('md5:') };
}
