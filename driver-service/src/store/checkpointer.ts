import { Worker } from 'node:worker_threads';
import type { Logger } from '@anvil/shared';

/**
 * The worker's whole program: its own connection to the database, checkpointing the WAL every interval
 * (PASSIVE: never waits for, nor blocks, the service's readers and writers), and a final TRUNCATE on stop.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')'); } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * WAL checkpoints on a worker thread. better-sqlite3 is synchronous, so SQLite's automatic checkpoint (every
 * 1,000 pages, inside whichever commit crosses the mark) would run its fsyncs on the service's event loop; with
 * a thousand progress reports a second that is a stall of tens of milliseconds every second or so. The
 * service's own connection turns automatic checkpoints off (`wal_autocheckpoint = 0`) and this does them.
 */
export function startCheckpointer(file: string, log: Logger, intervalMs = 1000): Checkpointer {
  const worker = new Worker(SOURCE, { eval: true, workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') } });
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m.error) log.warn({ err: m.error }, 'WAL checkpoint failed; retrying at the next interval');
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'the WAL checkpointer stopped; the WAL grows until the service restarts'));
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.on('message', (m: { stopped?: boolean }) => m.stopped && resolve());
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }).then(() => worker.terminate().then(() => undefined)),
  };
}
