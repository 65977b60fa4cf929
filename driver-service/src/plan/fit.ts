import { validatePlan, type InventoryT, type Report } from '@anvil/shared';
import { PLACEHOLDERS } from '@anvil/shared/protocol';
import type { LayoutT } from '../store/repository';
import { fillLayout, SAMPLE_VALUES, withSamples, type DeployValues } from './fill';

/*
 * Whether a layout makes a valid plan for a node: what the plan fetch checks (with the sample config drive and
 * fixed ids), and what adoption and the validation route check against the disks the node's agent reported.
 */

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
  const plan = fillLayout(layout.plan, withSamples(values), { nodeUuid, deploymentId: NO_DEPLOYMENT, layout: layout.name });
  return validatePlan(checkableText(plan), inventory ? { inventory } : {}).report;
}
