import type { IronicClient, Logger } from '@anvil/shared';
import type { Registry } from 'prom-client';
import type { ServiceConfigT } from './config';
import type { Repository } from './store/repository';
import type { DeploymentTracker } from './progress/tracker';
import type { Counter } from 'prom-client';
import type { Authenticator } from './auth';

/** What the route handlers share. */
export interface ServiceDeps {
  readonly config: ServiceConfigT;
  readonly repo: Repository;
  readonly ironic: IronicClient;
  readonly tracker: DeploymentTracker;
  readonly log: Logger;
  readonly auth: Authenticator;
  readonly metrics: { registry: Registry; planFetches: Counter<'outcome'>; reports: Counter<'outcome'> };
}
