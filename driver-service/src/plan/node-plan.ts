import { AnvilError, validatePlan, type InventoryT, type Report } from '@anvil/shared';
import { httpClient, type IronicNodeT } from '@anvil/shared/openstack';
import { PLACEHOLDERS } from '@anvil/shared/protocol';
import type { ServiceDeps } from '../deps';
import type { LayoutT } from '../store/repository';
import { checksumFileReader, fillLayout, SAMPLE_GRANT, SAMPLE_VALUES, valuesFromInstanceInfo, withGlanceImage, type ChecksumFileReader, type DeployValues } from './fill';
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
export async function nodePlanInputs(d: ServiceDeps, node: IronicNodeT, readChecksumFile: ChecksumFileReader, stepLayout?: string): Promise<NodePlanInputs> {
  let values = await valuesFromInstanceInfo(node.instance_info, readChecksumFile);
  let image: { id: string; anvil_layout?: unknown } | undefined;
  if (values.unresolvedGlanceImage !== undefined) {
    if (!d.glance) throw new AnvilError('metadata.glance_needs_keystone', `instance_info.image_source ${values.unresolvedGlanceImage} is a Glance image: configure the service's Keystone credentials (keystone.*) so it can grant the agent access, or give an http(s) URL`, {}, 409);
    const gi = await d.glance.image(values.unresolvedGlanceImage);
    if (gi.status !== 'active') throw new AnvilError('metadata.glance_not_active', `Glance image ${gi.id} is ${gi.status}, not active`, { status: gi.status }, 409);
    values = withGlanceImage(values, gi, SAMPLE_GRANT);
    image = gi;
  }
  const { layout, via } = await selectLayout(node, d.repo, d.config.default_layout, image, stepLayout);
  return { layout, via, values, ...(image ? { image } : {}) };
}

const SAMPLE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * A filled plan as the validator should see it: a config drive left for the agent to fill gets a sample in
 * its place, and the node and deployment ids fixed ones, so plans that differ only there are one plan.
 */
export function checkableText(plan: Record<string, unknown>): string {
  const sameForAll = { ...plan, metadata: { ...(plan.metadata as Record<string, unknown>), node_uuid: SAMPLE_ID, deployment_id: SAMPLE_ID } };
  return JSON.stringify(sameForAll).replace(JSON.stringify(PLACEHOLDERS.configdrive), JSON.stringify(SAMPLE_VALUES.configdrive));
}

/** The deployment id a plan checked outside a deploy carries. */
export const NO_DEPLOYMENT = SAMPLE_ID;

/**
 * A layout (with `values` filled in; samples for what is not given) validated against a node's disks — or,
 * without an inventory, on its own.
 */
export function layoutFit(layout: LayoutT, nodeUuid: string, inventory: InventoryT | undefined, values: DeployValues = {}): Report {
  const plan = fillLayout(layout.plan, { ...SAMPLE_VALUES, ...values }, { nodeUuid, deploymentId: NO_DEPLOYMENT, layout: layout.name });
  return validatePlan(checkableText(plan), inventory ? { inventory } : {}).report;
}
