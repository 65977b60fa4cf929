import { AnvilError, checksumFromHex } from '@anvil/shared';

export const PLACEHOLDERS = ['{{image.url}}', '{{image.checksum}}', '{{image.format}}', '{{configdrive}}'] as const;

export interface DeployValues {
  readonly imageUrl?: string;
  readonly checksum?: string;
  readonly format?: string;
  readonly configdrive?: unknown;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** What instance_info says about this deploy's image and config drive. */
export function valuesFromInstanceInfo(ii: Record<string, unknown>): DeployValues {
  const str = (k: string): string | undefined => (typeof ii[k] === 'string' && ii[k] !== '' ? (ii[k] as string) : undefined);
  const source = str('image_source');
  if (source && UUID.test(source)) {
    throw new AnvilError('metadata.glance_unsupported', `instance_info.image_source ${source} is a Glance image; this service does not hand out Glance credentials yet: give an http(s) URL`, {}, 409);
  }
  let checksum: string | undefined;
  const algo = str('image_os_hash_algo');
  const value = str('image_os_hash_value');
  if (algo && value) checksum = `${algo.toLowerCase()}:${value.toLowerCase()}`;
  else {
    const c = str('image_checksum');
    const bare = c ? checksumFromHex(c) : undefined;
    if (bare) checksum = bare;
    else if (c && /^[a-z0-9]+:[0-9a-f]+$/i.test(c)) checksum = c.toLowerCase();
    else if (c) throw new AnvilError('metadata.bad_checksum', 'instance_info.image_checksum must be a hex digest (md5, sha256, sha512) for Anvil layouts', {}, 409);
  }
  const format = str('image_disk_format');
  return {
    ...(source ? { imageUrl: source } : {}),
    ...(checksum ? { checksum } : {}),
    ...(format ? { format: format === 'qcow2' ? 'qcow2' : format === 'raw' ? 'raw' : format } : {}),
    ...(ii.configdrive !== undefined && ii.configdrive !== null && ii.configdrive !== '' ? { configdrive: ii.configdrive } : {}),
  };
}

function substitute(value: unknown, v: DeployValues, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    switch (value) {
      case '{{image.url}}':
        if (v.imageUrl === undefined) missing.add('image');
        return v.imageUrl;
      case '{{image.checksum}}':
        return v.checksum;
      case '{{image.format}}':
        return v.format ?? 'raw';
      case '{{configdrive}}':
        if (v.configdrive === undefined) missing.add('configdrive');
        // Ironic's API masks instance_info.configdrive; the conductor hands it to the agent unmasked, so the
        // placeholder stays for the agent to fill.
        if (typeof v.configdrive === 'string' && /^\*+$/.test(v.configdrive)) return '{{configdrive}}';
        return v.configdrive;
      default:
        return value;
    }
  }
  if (Array.isArray(value)) return value.map((x) => substitute(x, v, missing));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) {
      const s = substitute(x, v, missing);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value;
}

/**
 * A layout's plan for one deploy: placeholders filled from instance_info; images whose URL placeholder
 * has nothing to fill, and a config drive with nothing to fill, are left out; metadata names the node
 * and the deployment.
 */
export function fillLayout(plan: Record<string, unknown>, v: DeployValues, meta: { nodeUuid: string; deploymentId: string; layout: string }): Record<string, unknown> {
  const images = Array.isArray(plan.images) ? plan.images : [];
  const keptImages: unknown[] = [];
  for (const im of images) {
    const missing = new Set<string>();
    const filled = substitute(im, v, missing) as Record<string, unknown>;
    if (missing.has('image')) continue;
    if (typeof filled.checksum === 'string' && filled.checksum.startsWith('md5:')) filled.allow_md5 = true;
    keptImages.push(filled);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(plan)) {
    if (k === 'images') continue;
    if (k === 'configdrive') {
      const missing = new Set<string>();
      const cd = substitute(x, v, missing);
      if (!missing.has('configdrive')) out.configdrive = cd;
      continue;
    }
    out[k] = substitute(x, v, new Set());
  }
  if (keptImages.length) out.images = keptImages;
  out.metadata = { ...(plan.metadata as Record<string, unknown> | undefined), node_uuid: meta.nodeUuid, deployment_id: meta.deploymentId, name: meta.layout };
  return out;
}

/** Values that make a layout's placeholders checkable when it is written. */
export const SAMPLE_VALUES: DeployValues = { imageUrl: 'http://example.invalid/image.raw', checksum: `sha256:${'0'.repeat(64)}`, format: 'raw', configdrive: 'http://example.invalid/configdrive' };
