import type { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import type { GlanceSource } from '../plan/v1/image';
import type { InstanceFlavor } from './instance-flavor';
import { checkValueBounds } from '../validate/bounds';
import { toPointer } from '../report/report';
import { PLAN_LIMITS } from '../plan/limits';

/*
 * A layout is a plan with placeholders, filled per deploy. The driver-service fills what Ironic's API
 * shows it; Ironic's API masks instance_info.configdrive, so the service leaves `{{configdrive}}` and
 * the agent fills it from the node the conductor hands it (unmasked). Both call fillPlan.
 */

export const PLACEHOLDERS = {
  imageUrl: '{{image.url}}',
  imageChecksum: '{{image.checksum}}',
  imageFormat: '{{image.format}}',
  configdrive: '{{configdrive}}',
  // The flavor's (instance_info, instance-flavor.ts): sizes with their unit, for a `size` field.
  rootSize: '{{instance.root_size}}',
  swapSize: '{{instance.swap_size}}',
  ephemeralSize: '{{instance.ephemeral_size}}',
  ephemeralFormat: '{{instance.ephemeral_format}}',
  preserveEphemeral: '{{instance.preserve_ephemeral}}',
  // `verify` on a rebuild that preserves the ephemeral disk (the disks must hold this layout), else `clean`.
  dataPolicy: '{{instance.data_policy}}',
  bootMode: '{{instance.boot_mode}}',
  diskLabel: '{{instance.disk_label}}',
} as const;

/** The file system an ephemeral disk gets when instance_info names none (Ironic's default_ephemeral_format). */
export const DEFAULT_EPHEMERAL_FORMAT = 'ext4';
export const PLACEHOLDER_LIST: readonly string[] = Object.values(PLACEHOLDERS);

/** What Ironic's API shows in place of a secret (`******`). */
export const MASKED = /^\*{3,}$/;

export type GlanceGrant = z.infer<typeof GlanceSource>;

export interface FillValues {
  /** The image: replaces an image source `{"url": "{{image.url}}"}` (a Glance grant replaces the whole source). */
  readonly image?: { readonly url: string } | { readonly file: string } | { readonly glance: GlanceGrant };
  /** instance_info names a Glance image the caller has not resolved yet: filling is an error. */
  readonly unresolvedGlanceImage?: string;
  readonly checksum?: string;
  readonly format?: string;
  /** The config drive; a masked one (`******`) leaves the placeholder for the agent. */
  readonly configdrive?: unknown;
  /** What the flavor says (instance_info root_gb, swap_mb, ephemeral_*, capabilities). */
  readonly instance?: InstanceFlavor;
}

export interface FillMeta {
  readonly nodeUuid: string;
  readonly deploymentId: string;
  readonly layout: string;
}

type Missing = Set<'image' | 'configdrive'>;

/** What one fill found: placeholders with nothing to fill, and the ids of entries left out (a zero swap). */
interface Found {
  readonly missing: Missing;
  readonly dropped: Set<string>;
  /** Where the fill is (a JSON pointer is made of it only for a message). */
  readonly path: Array<string | number>;
}

function needs(key: string, placeholder: string, pointer: string): AnvilError {
  return new AnvilError('metadata.instance_value_missing', `the layout's ${placeholder} at ${pointer} needs instance_info.${key} (Nova writes it from the flavor; without Nova, set it on the node)`, { pointer }, 409);
}

/** A flavor placeholder's value; `null` for a size of zero (the entry that has it is left out). */
function instanceValue(value: string, v: FillValues, path: Array<string | number>): unknown {
  const f = v.instance ?? {};
  switch (value) {
    case PLACEHOLDERS.rootSize:
      if (!f.rootGiB) throw needs('root_gb', value, toPointer(path));
      return `${f.rootGiB}GiB`;
    case PLACEHOLDERS.swapSize:
      return f.swapMiB ? `${f.swapMiB}MiB` : null;
    case PLACEHOLDERS.ephemeralSize:
      return f.ephemeralGiB ? `${f.ephemeralGiB}GiB` : null;
    case PLACEHOLDERS.ephemeralFormat:
      return f.ephemeralFormat ?? DEFAULT_EPHEMERAL_FORMAT;
    case PLACEHOLDERS.preserveEphemeral:
      return f.preserveEphemeral ?? false;
    case PLACEHOLDERS.dataPolicy:
      return f.preserveEphemeral ? 'verify' : 'clean';
    case PLACEHOLDERS.bootMode:
      return f.bootMode ?? 'auto';
    case PLACEHOLDERS.diskLabel:
      return f.diskLabel ?? 'gpt';
    default:
      return undefined;
  }
}

const INSTANCE_PLACEHOLDERS: ReadonlySet<string> = new Set(PLACEHOLDER_LIST.filter((p) => p.startsWith('{{instance.')));

function imageUrlText(v: FillValues, missing: Missing): string | undefined {
  if (v.unresolvedGlanceImage !== undefined) throw new AnvilError('metadata.glance_unresolved', `the Glance image ${v.unresolvedGlanceImage} was not resolved before filling the layout`, {}, 500);
  if (v.image === undefined) {
    missing.add('image');
    return undefined;
  }
  if ('url' in v.image) return v.image.url;
  if ('file' in v.image) return `file://${v.image.file}`;
  throw new AnvilError('metadata.glance_placement', 'a Glance image can fill only an image source {"url": "{{image.url}}"}', {}, 409);
}

function substitute(value: unknown, v: FillValues, found: Found): unknown {
  const { missing } = found;
  if (typeof value === 'string') {
    if (INSTANCE_PLACEHOLDERS.has(value)) return instanceValue(value, v, found.path);
    switch (value) {
      case PLACEHOLDERS.imageUrl:
        return imageUrlText(v, missing);
      case PLACEHOLDERS.imageChecksum:
        return v.checksum;
      case PLACEHOLDERS.imageFormat:
        return v.format ?? 'raw';
      case PLACEHOLDERS.configdrive:
        if (v.configdrive === undefined) missing.add('configdrive');
        if (typeof v.configdrive === 'string' && MASKED.test(v.configdrive)) return PLACEHOLDERS.configdrive;
        return v.configdrive;
      default:
        return value;
    }
  }
  const child = (key: string | number, x: unknown): unknown => {
    found.path.push(key);
    try {
      return substitute(x, v, found);
    } finally {
      found.path.pop();
    }
  };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((x, i) => {
      const s = child(i, x);
      // A partition or volume sized by a flavor's zero (no swap, no ephemeral disk) is left out, and so is
      // what sits on it (fillPlan drops the file systems whose device it was).
      if (s && typeof s === 'object' && !Array.isArray(s) && (s as Record<string, unknown>).size === null) {
        const id = (s as Record<string, unknown>).id;
        if (typeof id === 'string') found.dropped.add(id);
        return;
      }
      out.push(s);
    });
    return out;
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // An image source that is only the URL placeholder takes the image's own form (a file, a Glance grant).
    if (o.url === PLACEHOLDERS.imageUrl && v.image !== undefined && !('url' in v.image)) {
      const rest = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'url'));
      return { ...(substitute(rest, v, found) as Record<string, unknown>), ...v.image };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const s = child(k, x);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value;
}

/**
 * A plan with its placeholders filled: an image whose URL has nothing to fill is left out, and so is a
 * config drive with nothing to fill; an md5 checksum gets `allow_md5` (Ironic still accepts md5). With
 * `meta`, metadata names the node, the deployment and the layout.
 */
export function fillPlan(plan: Record<string, unknown>, v: FillValues, meta?: FillMeta): Record<string, unknown> {
  // substitute() recurses: nesting beyond the plan's bound is refused before it runs (without recursing).
  const deep = checkValueBounds(plan, 'depth')[0];
  if (deep) throw new AnvilError('plan.too_deep', `the plan nests deeper than ${PLAN_LIMITS.depth} levels at ${deep.pointer}; refused before filling it`, { pointer: deep.pointer });
  const out: Record<string, unknown> = {};
  const dropped = new Set<string>();
  const fresh = (...path: Array<string | number>): Found => ({ missing: new Set(), dropped, path });
  for (const [k, x] of Object.entries(plan)) {
    if (k === 'images' && Array.isArray(x)) {
      const kept: unknown[] = [];
      x.forEach((im, i) => {
        const found = fresh('images', i);
        const filled = substitute(im, v, found) as Record<string, unknown>;
        if (found.missing.has('image')) return;
        if (typeof filled.checksum === 'string' && filled.checksum.startsWith('md5:')) filled.allow_md5 = true;
        kept.push(filled);
      });
      if (kept.length) out.images = kept;
      continue;
    }
    const found = fresh(k);
    const filled = substitute(x, v, found);
    if (k === 'configdrive' && found.missing.has('configdrive')) continue;
    out[k] = filled;
  }
  if (dropped.size && Array.isArray(out.filesystems)) {
    out.filesystems = (out.filesystems as unknown[]).filter((f) => !(f && typeof f === 'object' && dropped.has(String((f as Record<string, unknown>).device))));
  }
  if (meta) out.metadata = { ...(plan.metadata as Record<string, unknown> | undefined), node_uuid: meta.nodeUuid, deployment_id: meta.deploymentId, name: meta.layout };
  return out;
}

/** Whether a plan's text still holds a placeholder for the agent to fill. */
export function hasConfigdrivePlaceholder(text: string): boolean {
  return text.includes(JSON.stringify(PLACEHOLDERS.configdrive));
}
