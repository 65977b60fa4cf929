import { AnvilError, parseChecksum, type ImageSpec } from '@anvil/shared';
import { inlineHash, workerHash, type StreamHash } from './hash-worker';
import type { OpenedSource } from './sources';

export interface ImageProgress {
  readonly bytes: number;
  readonly total?: number;
}

export interface Tapped {
  readonly stream: AsyncIterable<Buffer>;
  readonly state: { bytes: number; done: boolean; hash: StreamHash | undefined };
}

/** Counts and hashes the bytes as they arrive (the checksum is of the file as served). */
export function tap(src: OpenedSource, bytes: AsyncIterable<Buffer>, algorithm: string | undefined, onProgress: ((p: ImageProgress) => void) | undefined, where: 'worker' | 'inline' = 'worker'): Tapped {
  const state = { bytes: 0, done: false, hash: algorithm ? (where === 'worker' ? workerHash(algorithm) : inlineHash(algorithm)) : undefined };
  let lastReport = 0;
  const stream = (async function* () {
    try {
      for await (const chunk of bytes) {
        const wait = state.hash?.update(chunk);
        if (wait) await wait;
        state.bytes += chunk.length;
        const now = Date.now();
        if (onProgress && now - lastReport >= 250) {
          lastReport = now;
          onProgress({ bytes: state.bytes, ...(src.total !== undefined ? { total: src.total } : {}) });
        }
        yield chunk;
      }
      state.done = true;
      onProgress?.({ bytes: state.bytes, ...(src.total !== undefined ? { total: src.total } : {}) });
    } finally {
      if (!state.done) state.hash?.close(); // the worker goes with a stream that failed or was abandoned
    }
  })();
  return { stream, state };
}

/** Reads the first bytes without losing them. */
export async function peek(stream: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const r = await it.next();
    if (r.done) break;
    parts.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(parts);
  const rest = (async function* () {
    try {
      if (head.length) yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.(); // a consumer that stops early stops the source (and its hashing worker) too
    }
  })();
  return { head, rest };
}

/** Checks the stream ended with its source and the digest (the tap's, or one the writer computed) matches. */
export function verifier(image: ImageSpec, state: Tapped['state']): (computed?: string) => Promise<string | undefined> {
  const checksum = image.checksum ? parseChecksum(image.checksum) : undefined;
  return async (computed) => {
    if (!state.done) {
      state.hash?.close();
      throw new AnvilError('image.short_read', 'the image stream ended before the source did');
    }
    if (!checksum) return undefined;
    const digest = computed ?? (state.hash ? await state.hash.digest() : undefined);
    if (digest === undefined) return undefined;
    if (digest !== checksum.value) {
      throw new AnvilError('image.checksum_mismatch', `${checksum.algorithm} of the image is ${digest}, the plan expects ${checksum.value}`, { expected: checksum.value, actual: digest });
    }
    return digest;
  };
}

