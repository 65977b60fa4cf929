import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, type Logger } from '@anvil/shared';
import { IronicClient, KeystoneSession } from '@anvil/shared/openstack';
import { keystoneAuth, noAuth } from './auth';
import { serviceApp } from './app';
import type { ServiceConfigT } from './config';
import { GlanceAccess } from './glance/access';
import { DeployingNodes } from './nodes/deploying-cache';
import { watchIronic } from './progress/ironic-watch';
import { DeploymentTracker } from './progress/tracker';
import { ProgressWriter } from './progress/writer';
import { openDatabase } from './store/db';
import { Repository } from './store/repository';

export interface RunningService {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly log?: Logger;
  readonly watchIntervalMs?: number;
  /**
   * The process that follows deploys in Ironic (the deploy watch, the Glance credential sweep) and
   * checkpoints SQLite; default true. Of the cluster's workers only the first is (cluster.ts).
   */
  readonly leader?: boolean;
  /** Run the migrations at start (default true; the cluster's primary runs them before forking). */
  readonly migrate?: boolean;
  /** The cluster worker this is: answers carry it in `x-anvil-worker`, metrics in a `worker` label. */
  readonly worker?: number;
}

/** Opens the database, starts the HTTP API and the Ironic watcher; close() stops them gracefully. */
export async function startService(config: ServiceConfigT, options: StartOptions = {}): Promise<RunningService> {
  const log = options.log ?? createLogger({ level: config.log_level, name: 'anvil-driver-service' });
  const leader = options.leader ?? true;
  const database = await openDatabase({ dataDir: config.data_dir, databaseUrl: config.database_url, log, checkpoint: leader, migrate: options.migrate ?? true });
  const { db, dialect } = database;
  const repo = new Repository(db);
  const replica = randomUUID();
  const ks = config.keystone;
  const session = ks ? new KeystoneSession({ type: 'password', auth_url: ks.auth_url, username: ks.username, password: ks.password, project_name: ks.project_name, user_domain_name: ks.user_domain_name, project_domain_name: ks.project_domain_name }) : undefined;
  const ironic = new IronicClient({ endpoint: config.ironic_url, microversion: config.ironic_microversion, ...(session ? { token: () => session.token(), tokenRejected: () => session.invalidate() } : {}) });
  const auth = config.auth === 'keystone' && session ? keystoneAuth(session, log) : noAuth();
  const tracker = new DeploymentTracker(repo);
  const nodes = new DeployingNodes(ironic, log, config.node_cache_ms);
  nodes.start();
  const glance = session ? new GlanceAccess(session, repo, log, { ...(config.glance_url ? { glanceUrl: config.glance_url } : {}), ttlSeconds: config.credential_ttl_seconds, roles: config.credential_roles }) : undefined;
  const registry = new Registry();
  if (options.worker !== undefined) registry.setDefaultLabels({ worker: String(options.worker) });
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    planFetches: new Counter({ name: 'anvil_plan_fetches_total', help: 'Plan fetches by agents, by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
    reports: new Counter({ name: 'anvil_progress_reports_total', help: 'Progress reports from agents, by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
  };
  const writer = new ProgressWriter(tracker, log, { flushMs: config.progress_flush_ms, counted: (outcome, n) => {
      if (n) metrics.reports.inc({ outcome }, n);
    } });
  writer.start();
  const app = serviceApp({ config, repo, ironic, tracker, writer, nodes, log, metrics, auth, ...(glance ? { glance } : {}), ...(options.worker !== undefined ? { worker: options.worker } : {}) });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.listen_port, config.listen_host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const port = (server.address() as AddressInfo).port;
  const stopWatch = leader ? watchIronic({ ironic, repo, tracker, config, log, replica, nodes, ...(glance ? { glance } : {}) }, options.watchIntervalMs ?? 5000) : () => undefined;
  log.info({ listen: `${config.listen_host}:${port}`, public_url: config.public_url, ironic: config.ironic_url, database: dialect, replica, leader, ...(options.worker !== undefined ? { worker: options.worker } : {}) }, 'driver-service listening');
  return {
    url: `http://${config.listen_host}:${port}`,
    port,
    close: async () => {
      stopWatch();
      nodes.stop();
      server.closeIdleConnections();
      await new Promise<void>((r) => {
        server.close(() => r());
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
      await writer.stop();
      await database.close();
    },
  };
}
