import cluster, { type Worker } from 'node:cluster';
import { createLogger, type Logger } from '@anvil/shared';
import type { ServiceConfigT } from './config';
import { startService, type RunningService } from './server';
import { openDatabase } from './store/db';

/** The variable a forked worker finds its index in (set by the primary). */
const WORKER_ENV = 'ANVIL_WORKER_INDEX';
/** A worker that dies is forked again after this long (not in a tight loop when it dies at start). */
const RESTART_MS = 1000;

/**
 * The service on `config.workers` processes (node:cluster): the primary migrates the database once, forks
 * the workers and forks again any that dies; the workers share the listening port and the database (SQLite
 * in WAL mode, or PostgreSQL), as replicas do (docs/driver-service.md). Worker 0 is the leader: it alone
 * follows deploys in Ironic and checkpoints SQLite. Everything else a worker keeps in memory (the
 * deploying-nodes list, validity reports, the progress queue) is a cache of its own or is in the database;
 * server-sent events poll the database each second for changes another worker made.
 *
 * With one worker, or in a worker, this is startService itself. The primary's close() stops the workers.
 */
export async function startCluster(config: ServiceConfigT, options: { log?: Logger } = {}): Promise<RunningService> {
  const log = options.log ?? createLogger({ level: config.log_level, name: 'anvil-driver-service' });
  if (cluster.isWorker) {
    const worker = Number(process.env[WORKER_ENV] ?? 0);
    const service = await startService(config, { log: log.child({ worker, pid: process.pid }), leader: worker === 0, migrate: false, worker });
    return {
      ...service,
      close: async () => {
        await service.close();
        // The channel to the primary is what still keeps a stopped worker alive.
        cluster.worker?.disconnect();
      },
    };
  }
  if (config.workers <= 1) return startService(config, { log });

  // Migrated here, once, before any worker opens the database (Kysely's migration lock is a no-op on SQLite).
  await (await openDatabase({ dataDir: config.data_dir, databaseUrl: config.database_url, log, checkpoint: false })).close();
  const workers = new Map<number, Worker>();
  let stopping = false;
  let port = config.listen_port;
  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ [WORKER_ENV]: String(index) });
      workers.set(index, w);
      w.once('listening', (address) => {
        port = address.port;
        resolve();
      });
      w.once('exit', (code, signal) => {
        workers.delete(index);
        reject(new Error(`worker ${index} exited before listening (${signal ?? `code ${code}`})`));
        if (stopping) return;
        log.error({ worker: index, code, signal }, `worker exited; forking it again in ${RESTART_MS} ms`);
        setTimeout(() => void fork(index).catch((err: unknown) => log.error({ worker: index, err: err instanceof Error ? err.message : String(err) }, 'worker failed to start')), RESTART_MS).unref();
      });
    });
  try {
    await Promise.all(Array.from({ length: config.workers }, (_, i) => fork(i)));
  } catch (err) {
    stopping = true;
    for (const w of workers.values()) w.kill('SIGTERM');
    throw err;
  }
  log.info({ workers: config.workers, port }, 'driver-service workers listening');
  return {
    url: `http://${config.listen_host}:${port}`,
    port,
    close: async () => {
      stopping = true;
      await Promise.all(
        [...workers.values()].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
