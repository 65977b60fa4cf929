import type { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import type { GlanceSource } from '../plan/v1/image';
import { checkValueBounds } from '../validate/bounds';
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
} as const;
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
}

export interface FillMeta {
  readonly nodeUuid: string;
  readonly deploymentId: string;
  readonly layout: string;
}

type Missing = Set<'image' | 'configdrive'>;

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

function substitute(value: unknown, v: FillValues, missing: Missing): unknown {
  if (typeof value === 'string') {
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
  if (Array.isArray(value)) return value.map((x) => substitute(x, v, missing));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // An image source that is only the URL placeholder takes the image's own form (a file, a Glance grant).
    if (o.url === PLACEHOLDERS.imageUrl && v.image !== undefined && !('url' in v.image)) {
      const rest = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'url'));
      return { ...(substitute(rest, v, missing) as Record<string, unknown>), ...v.image };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const s = substitute(x, v, missing);
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
  for (const [k, x] of Object.entries(plan)) {
    if (k === 'images' && Array.isArray(x)) {
      const kept: unknown[] = [];
      for (const im of x) {
        const missing: Missing = new Set();
        const filled = substitute(im, v, missing) as Record<string, unknown>;
        if (missing.has('image')) continue;
        if (typeof filled.checksum === 'string' && filled.checksum.startsWith('md5:')) filled.allow_md5 = true;
        kept.push(filled);
      }
      if (kept.length) out.images = kept;
      continue;
    }
    const missing: Missing = new Set();
    const filled = substitute(x, v, missing);
    if (k === 'configdrive' && missing.has('configdrive')) continue;
    out[k] = filled;
  }
  if (meta) out.metadata = { ...(plan.metadata as Record<string, unknown> | undefined), node_uuid: meta.nodeUuid, deployment_id: meta.deploymentId, name: meta.layout };
  return out;
}

/** Whether a plan's text still holds a placeholder for the agent to fill. */
export function hasConfigdrivePlaceholder(text: string): boolean {
  return text.includes(JSON.stringify(PLACEHOLDERS.configdrive));
}
