import { AnvilError } from '@anvil/shared';
import { checksumFromHash, fillPlan, readInstanceFlavor, readInstanceInfo, resolveChecksum, type FillMeta, type FillValues, type GlanceGrant } from '@anvil/shared/protocol';

/*
 * The service's side of plan filling: instance_info read by the protocol's one reader, Glance's image
 * properties for what it leaves open, then the protocol's fillPlan (shared/src/protocol/plan-fill.ts).
 */

export type DeployValues = FillValues;

/** Reads a checksums file named by instance_info.image_checksum (the service's HTTP client). */
export type ChecksumFileReader = (url: string) => Promise<string>;

/**
 * What instance_info says about this deploy's image, config drive and flavor (boot_mode and disk_label also
 * from the node's properties.capabilities); a checksums file is read.
 */
export async function valuesFromInstanceInfo(ii: Record<string, unknown>, readChecksumFile: ChecksumFileReader, properties?: Record<string, unknown>): Promise<DeployValues> {
  const info = readInstanceInfo(ii);
  const instance = readInstanceFlavor(ii, properties);
  const checksum = await resolveChecksum(info, readChecksumFile);
  const src = info.source;
  return {
    ...(src?.kind === 'url' ? { image: { url: src.url } } : src?.kind === 'file' ? { image: { file: src.path } } : src?.kind === 'glance' ? { unresolvedGlanceImage: src.image_id } : {}),
    ...(checksum ? { checksum: checksum.checksum } : {}),
    ...(info.disk_format ? { format: info.disk_format } : {}),
    ...(info.configdrive !== undefined ? { configdrive: info.configdrive } : {}),
    ...(Object.keys(instance).length ? { instance } : {}),
  };
}

/** A layout's plan for one deploy (see fillPlan). */
export function fillLayout(plan: Record<string, unknown>, v: DeployValues, meta: FillMeta): Record<string, unknown> {
  return fillPlan(plan, v, meta);
}

/** Fills what instance_info left open from the Glance image (checksum from os_hash, else md5; disk format) and gives the agent its grant. */
export function withGlanceImage(v: DeployValues, image: { os_hash_algo?: string | null; os_hash_value?: string | null; checksum?: string | null; disk_format?: string | null }, grant: GlanceGrant): DeployValues {
  let checksum = v.checksum;
  if (!checksum && image.os_hash_algo && image.os_hash_value) {
    const c = checksumFromHash(image.os_hash_algo, image.os_hash_value, 'the Glance image’s os_hash_algo/os_hash_value');
    if (c.kind === 'digest') checksum = c.checksum;
  }
  if (!checksum && image.checksum) {
    const c = checksumFromHash('md5', image.checksum, 'the Glance image’s checksum');
    if (c.kind === 'digest') checksum = c.checksum;
  }
  const format = v.format ?? image.disk_format ?? undefined;
  const rest: DeployValues = { ...v };
  delete (rest as { unresolvedGlanceImage?: string }).unresolvedGlanceImage;
  return { ...rest, image: { glance: grant }, ...(checksum ? { checksum } : {}), ...(format ? { format } : {}) };
}

/**
 * Values that make a layout's placeholders checkable when it is written: a small flavor with every part (a
 * 1 GiB root, 512 MiB of swap, a 1 GiB ephemeral disk), so every entry of the layout is checked.
 */
export const SAMPLE_VALUES: DeployValues = {
  image: { url: 'http://example.invalid/image.raw' },
  checksum: `sha256:${'0'.repeat(64)}`,
  format: 'raw',
  configdrive: 'http://example.invalid/configdrive',
  instance: { rootGiB: 1, swapMiB: 512, ephemeralGiB: 1 },
};

/** A node's values with the samples for what it does not say yet (a node not deploying has no flavor yet). */
export function withSamples(v: DeployValues): DeployValues {
  return { ...SAMPLE_VALUES, ...v, instance: { ...SAMPLE_VALUES.instance, ...v.instance } };
}

/** A grant's shape for validating a plan before a real credential is created. */
export const SAMPLE_GRANT: GlanceGrant = { image_id: '00000000-0000-0000-0000-000000000000', endpoint: 'http://example.invalid:9292', application_credential: { auth_url: 'http://example.invalid:5000/v3', id: 'sample', secret: 'sample' } };

/** A checksums file over HTTP, refused with a clear code when it cannot be read. */
export function checksumFileReader(get: (url: string) => Promise<string>): ChecksumFileReader {
  return async (url) => {
    try {
      return await get(url);
    } catch (err) {
      throw new AnvilError('metadata.checksum_file', `cannot read the checksums file named by instance_info.image_checksum: ${err instanceof Error ? err.message : String(err)}`, {}, 409);
    }
  };
}
