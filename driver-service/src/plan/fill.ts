import { AnvilError, checksumFromHex } from '@anvil/shared';
import type { GlanceGrant } from '../glance/access';

export const PLACEHOLDERS = ['{{image.url}}', '{{image.checksum}}', '{{image.format}}', '{{configdrive}}'] as const;

export interface DeployValues {
  readonly imageUrl?: string;
  /** instance_info.image_source is a Glance image (to be resolved and granted by the service). */
  readonly glanceImageId?: string;
  /** The agent's access to that image: replaces an image source `{"url": "{{image.url}}"}`. */
  readonly glance?: GlanceGrant;
  readonly checksum?: string;
  readonly format?: string;
  readonly configdrive?: unknown;
}

/** `algo:hex` from a hash algorithm and its hex digest as OpenStack gives them (any case). */
const hashChecksum = (algo: string, value: string): string => `${algo.toLowerCase()}:${value.toLowerCase()}`;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** What instance_info says about this deploy's image and config drive. */
export function valuesFromInstanceInfo(ii: Record<string, unknown>): DeployValues {
  const str = (k: string): string | undefined => (typeof ii[k] === 'string' && ii[k] !== '' ? (ii[k] as string) : undefined);
  const source = str('image_source');
  const glance = source !== undefined && UUID.test(source);
  let checksum: string | undefined;
  const algo = str('image_os_hash_algo');
  const value = str('image_os_hash_value');
  if (algo && value) checksum = hashChecksum(algo, value);
  else {
    const c = str('image_checksum');
    const bare = c ? checksumFromHex(c) : undefined;
    if (bare) checksum = bare;
    else if (c && /^[a-z0-9]+:[0-9a-f]+$/i.test(c)) checksum = c.toLowerCase();
    else if (c) throw new AnvilError('metadata.bad_checksum', 'instance_info.image_checksum must be a hex digest (md5, sha256, sha512) for Anvil layouts');
  }
  const format = str('image_disk_format');
  return {
    ...(source && glance ? { glanceImageId: source } : source ? { imageUrl: source } : {}),
    ...(checksum ? { checksum } : {}),
    ...(format ? { format: format === 'qcow2' ? 'qcow2' : format === 'raw' ? 'raw' : format } : {}),
    ...(ii.configdrive !== undefined && ii.configdrive !== null && ii.configdrive !== '' ? { configdrive: ii.configdrive } : {}),
  };
}

function substitute(value: unknown, v: DeployValues, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    switch (value) {
      case '{{image.url}}':
        if (v.imageUrl === undefined) missing.add(v.glanceImageId !== undefined ? 'glance' : 'image');
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
    const o = value as Record<string, unknown>;
    if (o.url === '{{image.url}}' && v.glance !== undefined) {
      const rest = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'url'));
      return { ...(substitute(rest, v, missing) as Record<string, unknown>), glance: v.glance };
    }
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
    if (missing.has('glance')) throw new AnvilError('metadata.glance_unresolved', 'a Glance image was not resolved before filling the layout');
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

/** Fills what instance_info left open from the Glance image: checksum (os_hash), disk format. */
export function withGlanceImage(v: DeployValues, image: { os_hash_algo?: string | null; os_hash_value?: string | null; checksum?: string | null; disk_format?: string | null }): DeployValues {
  let checksum = v.checksum;
  if (!checksum && image.os_hash_algo && image.os_hash_value) checksum = hashChecksum(image.os_hash_algo, image.os_hash_value);
  if (!checksum && image.checksum) checksum = hashChecksum('md5', image.checksum);
  const format = v.format ?? image.disk_format ?? undefined;
  return { ...v, ...(checksum ? { checksum } : {}), ...(format ? { format } : {}) };
}

/** Values that make a layout's placeholders checkable when it is written. */
export const SAMPLE_VALUES: DeployValues = { imageUrl: 'http://example.invalid/image.raw', checksum: `sha256:${'0'.repeat(64)}`, format: 'raw', configdrive: 'http://example.invalid/configdrive' };

/** A grant's shape for validating a plan before a real credential is created. */
export const SAMPLE_GRANT: GlanceGrant = { image_id: '00000000-0000-0000-0000-000000000000', endpoint: 'http://example.invalid:9292', application_credential: { auth_url: 'http://example.invalid:5000/v3', id: 'sample', secret: 'sample' } };
