import { AnvilError } from '@anvil/shared';
import { httpClient, type IronicNodeT } from '@anvil/shared/openstack';
import type { GlanceAccess } from '../glance/access';
import type { Repository } from '../store/repository';
import type { LayoutT } from '../store/repository';
import { checksumFileReader, SAMPLE_GRANT, valuesFromInstanceInfo, withGlanceImage, type ChecksumFileReader, type DeployValues } from './fill';
import { selectLayout } from './layout-select';

/*
 * What a node's next plan is made of: its layout and the values instance_info (and Glance) give it. One
 * function for the plan fetch (routes/metadata.ts) and for the question "would it work?" (routes/validation.ts),
 * so the two can never choose differently.
 */

export interface NodePlanInputs {
  readonly layout: LayoutT;
  /** Why that layout (for the audit record and messages). */
  readonly via: string;
  /** With a sample grant in place of a Glance image's credential: only a valid plan gets a real one. */
  readonly values: DeployValues;
  /** The Glance image instance_info names, when it names one. */
  readonly image?: { id: string; anvil_layout?: unknown };
}

/** A checksums file named by instance_info.image_checksum (Ironic's standalone mode), read with the shared retry policy. */
export function checksumFiles(): ChecksumFileReader {
  const http = httpClient({ baseURL: '', timeoutMs: 15_000, retries: 2 });
  return checksumFileReader(async (url) => (await http.get<string>(url, { responseType: 'text', transformResponse: (x: string) => x, maxContentLength: 1 << 20 })).data);
}

/** `stepLayout`: the layout the agent's deploy step names (`?layout=` of the plan fetch). */
/** What choosing a node's plan reads: the layouts, Glance (when the service has Keystone credentials), the default. */
export interface PlanSources {
  readonly repo: Repository;
  readonly glance?: GlanceAccess | undefined;
  readonly defaultLayout?: string | undefined;
}

export async function nodePlanInputs(d: PlanSources, node: IronicNodeT, readChecksumFile: ChecksumFileReader, stepLayout?: string): Promise<NodePlanInputs> {
  let values = await valuesFromInstanceInfo(node.instance_info, readChecksumFile, node.properties);
  let image: { id: string; anvil_layout?: unknown } | undefined;
  if (values.unresolvedGlanceImage !== undefined) {
    if (!d.glance) throw new AnvilError('metadata.glance_needs_keystone', `instance_info.image_source ${values.unresolvedGlanceImage} is a Glance image: configure the service's Keystone credentials (keystone.*) so it can grant the agent access, or give an http(s) URL`, {}, 409);
    const gi = await d.glance.image(values.unresolvedGlanceImage);
    if (gi.status !== 'active') throw new AnvilError('metadata.glance_not_active', `Glance image ${gi.id} is ${gi.status}, not active`, { status: gi.status }, 409);
    values = withGlanceImage(values, gi, SAMPLE_GRANT);
    image = gi;
  }
  const { layout, via } = await selectLayout(node, d.repo, d.defaultLayout, image, stepLayout);
  return { layout, via, values, ...(image ? { image } : {}) };
}

export { checkableText, layoutFit, NO_DEPLOYMENT } from './fit';
