import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program (inline, so it works the same from sources and from the bundled agent): it
 * hashes what it is sent, in order, acknowledges each message (returning a batch buffer for reuse), and
 * answers `null` with the hex digest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash(workerData.algorithm);
parentPort.on('message', (m) => {
  if (m === null) return parentPort.postMessage({ digest: hash.digest('hex') });
  hash.update(m.length === undefined ? m.data : m.data.subarray(0, m.length));
  if (m.length === undefined) parentPort.postMessage({ ack: m.data.byteLength });
  else parentPort.postMessage({ ack: m.length, batch: m.data }, [m.data.buffer]);
});
`;

const BATCH = 1 << 20;
const MAX_IN_FLIGHT = 16 << 20;
/** Chunks at least this large that own their memory are moved to the worker rather than copied. */
const HAND_OVER_MIN = 16 << 10;

/** An incremental hash computed on a worker thread, so hashing overlaps downloading and writing. */
export interface StreamHash {
  /**
   * Resolves at once unless too many bytes wait for the worker (bounded memory). With `handOver`, the caller
   * is done with the chunk: one that owns its memory is moved to the worker instead of copied.
   */
  update(chunk: Buffer, handOver?: boolean): Promise<void> | undefined;
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
  // Batch buffers travel to the worker and back, so a long stream allocates a handful, not one per MiB.
  const spare: Uint8Array[] = [];
  let batch: Uint8Array = new Uint8Array(BATCH);
  let batchLen = 0;
  let inFlight = 0;
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  let onDigest: ((d: string) => void) | undefined;
  worker.on('message', (m: { ack?: number; batch?: Uint8Array; digest?: string }) => {
    if (m.batch) spare.push(m.batch);
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
    worker.postMessage({ data: batch, length: batchLen }, [batch.buffer as ArrayBuffer]);
    inFlight += batchLen;
    batch = spare.pop() ?? new Uint8Array(BATCH);
    batchLen = 0;
  };
  const backpressure = (): Promise<void> | undefined =>
    inFlight <= MAX_IN_FLIGHT
      ? undefined
      : new Promise<void>((resolve) => (waiting = resolve)).then(() => {
          if (failure) throw failure;
        });
  return {
    update(chunk, handOver = false) {
      if (failure) throw failure;
      const owned = chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
      if (handOver && owned && chunk.byteLength >= HAND_OVER_MIN) {
        send(); // what was batched goes first: the worker hashes in order
        worker.postMessage({ data: chunk }, [chunk.buffer as ArrayBuffer]);
        inFlight += chunk.byteLength;
        return backpressure();
      }
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(BATCH - batchLen, chunk.length - off);
        batch.set(chunk.subarray(off, off + take), batchLen);
        batchLen += take;
        off += take;
        if (batchLen === BATCH) send();
      }
      return backpressure();
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
