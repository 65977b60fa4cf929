import type { Deployment, ProgressReport } from '@anvil/shared/protocol';
import type { components } from './openapi.generated';

/** Response bodies as the OpenAPI document defines them; handlers check what they send against these. */
export type Schemas = components['schemas'];
export type AdoptionBody = Schemas['Adoption'];
export type LayoutBody = Schemas['Layout'];
export type DeploymentBody = Schemas['Deployment'];
export type ErrorBody = Schemas['Error'];
export type NodeBody = Schemas['Node'];

/*
 * The Deployment and ProgressReport components are generated from the protocol's zod schema (shared/src/protocol);
 * these fail to compile if the two ever disagree.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const deploymentMatches: Same<DeploymentBody, Deployment> = true;
const progressMatches: Same<Schemas['ProgressReport'], ProgressReport> = true;
void deploymentMatches;
void progressMatches;
