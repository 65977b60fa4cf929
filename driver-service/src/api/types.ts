import type { components } from './openapi.generated';

/** Response bodies as the OpenAPI document defines them; handlers check what they send against these. */
export type Schemas = components['schemas'];
export type AdoptionBody = Schemas['Adoption'];
export type LayoutBody = Schemas['Layout'];
export type DeploymentBody = Schemas['Deployment'];
export type ErrorBody = Schemas['Error'];
