import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program (inline, so it works the same from sources and from the bundled agent): it
 * hashes what it is sent, acknowledges each batch, and answers `null` with the hex digest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash(workerData.algorithm);
parentPort.on('message', (m) => {
  if (m === null) parentPort.postMessage({ digest: hash.digest('hex') });
  else { hash.update(m); parentPort.postMessage({ ack: m.byteLength }); }
});
`;

const BATCH = 1 << 20;
const MAX_IN_FLIGHT = 16 << 20;

/** An incremental hash computed on a worker thread, so hashing overlaps downloading and writing. */
export interface StreamHash {
  /** Resolves at once unless too many bytes wait for the worker (bounded memory). */
  update(chunk: Buffer): Promise<void> | undefined;
  digest(): Promise<string>;
  /** Stops the worker without a digest (a failed stream). */
  close(): void;
}

/** The same interface on the calling thread (where nothing else would overlap with the hashing anyway). */
export function inlineHash(algorithm: string): StreamHash {
  const hash = createHash(algorithm);
  return {
    update(chunk) {
      hash.update(chunk);
      return undefined;
    },
    digest: () => Promise.resolve(hash.digest('hex')),
    close: () => undefined,
  };
}

export function workerHash(algorithm: string): StreamHash {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithm } });
  worker.unref();
  let batch = new Uint8Array(BATCH);
  let batchLen = 0;
  let inFlight = 0;
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  let onDigest: ((d: string) => void) | undefined;
  worker.on('message', (m: { ack?: number; digest?: string }) => {
    if (m.ack !== undefined) {
      inFlight -= m.ack;
      if (waiting && inFlight <= MAX_IN_FLIGHT / 2) {
        const w = waiting;
        waiting = undefined;
        w();
      }
    }
    if (m.digest !== undefined) onDigest?.(m.digest);
  });
  worker.on('error', (e) => {
    failure = e;
    waiting?.();
  });
  const send = (): void => {
    if (batchLen === 0) return;
    const out = batchLen === BATCH ? batch : batch.slice(0, batchLen);
    worker.postMessage(out, [out.buffer as ArrayBuffer]);
    inFlight += batchLen;
    batch = new Uint8Array(BATCH);
    batchLen = 0;
  };
  return {
    update(chunk) {
      if (failure) throw failure;
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(BATCH - batchLen, chunk.length - off);
        batch.set(chunk.subarray(off, off + take), batchLen);
        batchLen += take;
        off += take;
        if (batchLen === BATCH) send();
      }
      if (inFlight <= MAX_IN_FLIGHT) return undefined;
      return new Promise<void>((resolve) => (waiting = resolve)).then(() => {
        if (failure) throw failure;
      });
    },
    async digest() {
      send();
      const d = await new Promise<string>((resolve, reject) => {
        onDigest = resolve;
        worker.once('error', reject);
        worker.postMessage(null);
      });
      await worker.terminate();
      return d;
    },
    close() {
      void worker.terminate();
    },
  };
}
