import type { Logger } from '@anvil/shared';
import type { IronicClient } from '@anvil/shared/openstack';
import type { Registry } from 'prom-client';
import type { ServiceConfigT } from './config';
import type { Repository } from './store/repository';
import type { DeploymentTracker } from './progress/tracker';
import type { ProgressWriter } from './progress/writer';
import type { Counter } from 'prom-client';
import type { Authenticator } from './auth';
import type { GlanceAccess } from './glance/access';
import type { DeployingNodes } from './nodes/deploying-cache';

/** What the route handlers share. */
export interface ServiceDeps {
  readonly config: ServiceConfigT;
  readonly repo: Repository;
  readonly ironic: IronicClient;
  readonly tracker: DeploymentTracker;
  /** Progress reports and audit records, written in batches. */
  readonly writer: ProgressWriter;
  /** Ironic's deploying nodes, read in bulk. */
  readonly nodes: DeployingNodes;
  readonly log: Logger;
  readonly auth: Authenticator;
  /** Glance images and the credentials agents get for them; absent without Keystone credentials. */
  readonly glance?: GlanceAccess;
  /** The cluster worker this process is (answers carry it in `x-anvil-worker`); absent outside a cluster. */
  readonly worker?: number;
  readonly metrics: { registry: Registry; planFetches: Counter<'outcome'>; reports: Counter<'outcome'> };
}
