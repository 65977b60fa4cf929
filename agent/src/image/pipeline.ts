import { AnvilError, parseChecksum, type ImageSpec, type Logger } from '@anvil/shared';
import type { Runner } from '../system/runner';
import { decompress, isQcow2, sniffCompression, type Compression } from './decompress';
import { writeToDevice } from './device-writer';
import { drained } from './drain';
import { writeExternal } from './external-writer';
import { inlineHash, workerHash, type StreamHash } from './hash-worker';
import { IoWatchdog } from './io-watchdog';
import { envInt, openSource, type OpenedSource } from './sources';

export interface ImageProgress {
  readonly bytes: number;
  readonly total?: number;
}

export interface StreamResult {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly compression: Compression;
  readonly digest?: string;
}

/**
 * The argv of a stream process the action declares (first whose argv starts with `prefix` and whose conditions
 * hold for this image), placeholders filled: the pipeline runs no process its action does not name.
 */
export type PipeLookup = (prefix: readonly string[], values?: Readonly<Record<string, string | number>>, compression?: string) => Promise<string[]>;

export interface ImageDeps {
  readonly log: Logger;
  readonly runner: Runner;
  readonly pipe: PipeLookup;
  readonly onProgress?: (p: ImageProgress) => void;
}

interface Tapped {
  readonly stream: AsyncIterable<Buffer>;
  readonly state: { bytes: number; done: boolean; hash: StreamHash | undefined };
}

/** Counts and hashes the bytes as they arrive (the checksum is of the file as served). */
function tap(src: OpenedSource, bytes: AsyncIterable<Buffer>, algorithm: string | undefined, onProgress: ImageDeps['onProgress'], where: 'worker' | 'inline' = 'worker'): Tapped {
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
async function peek(stream: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
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
function verifier(image: ImageSpec, state: Tapped['state']): (computed?: string) => Promise<string | undefined> {
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

/**
 * One stream from source to device: download (resuming) → hash → sniff → decompress → device, with the
 * first MiB written only once the checksum matches. Raw, whole-disk and filesystem images take this path.
 */
export async function streamImageToDevice(image: ImageSpec, device: string, deps: ImageDeps, limit?: number): Promise<StreamResult> {
  const checksum = image.checksum ? parseChecksum(image.checksum) : undefined;
  const src = await openSource(image.source, deps.log);
  const { head, rest: body } = await peek(src.bytes, 8);
  const compression: Compression = image.compression && image.compression !== 'auto' ? image.compression : sniffCompression(head);
  // A raw image is hashed by the device writer, from the very blocks it writes (no copy, on a worker while
  // the block is written); a compressed one as it arrives, since its checksum is of the compressed file.
  const hashInWriter = compression === 'none' && checksum !== undefined;
  const tapped = tap(src, body, hashInWriter ? undefined : checksum?.algorithm, deps.onProgress);
  const rest = tapped.stream;
  let digest: string | undefined;
  const verify = verifier(image, tapped.state);
  if (compression === 'xz' || compression === 'zstd' || compression === 'bzip2') {
    const res = await writeExternal(rest, compression, device, deps, async () => {
      digest = await verify();
    });
    if (limit !== undefined && res.bytesWritten > limit) throw new AnvilError('image.too_large', `the image is larger than ${device}`);
    deps.log.info({ device, bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression }, 'image written');
    return { bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression, ...(digest ? { digest } : {}) };
  }
  const output = decompress(rest, compression, deps);
  const { head: outHead, rest: outRest } = await peek(output, 4);
  if (isQcow2(outHead) && (image.format ?? 'raw') !== 'qcow2') {
    throw new AnvilError('image.format_mismatch', 'the image is qcow2 but the plan says raw; set format: qcow2');
  }
  const res = await writeToDevice(outRest, device, {
    ...(limit !== undefined ? { limit } : {}),
    ...(hashInWriter ? { hashAlgorithm: checksum.algorithm } : {}),
    commit: async (written) => {
      digest = await verify(written);
    },
  });
  deps.log.info({ device, bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression }, 'image written');
  return { bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression, ...(digest ? { digest } : {}) };
}

/** Hashes a source without storing it (qcow2: verified before qemu-img reads it). */
async function hashOnly(image: ImageSpec, deps: ImageDeps): Promise<void> {
  const checksum = image.checksum ? parseChecksum(image.checksum) : undefined;
  if (!checksum) return;
  const src = await openSource(image.source, deps.log);
  // Nothing to overlap with in this pass, and a worker's heap would only add to the agent's memory.
  const tapped = tap(src, src.bytes, checksum.algorithm, deps.onProgress, 'inline');
  for await (const chunk of tapped.stream) void chunk;
  await verifier(image, tapped.state)();
}

/**
 * qcow2 without staging it anywhere: the checksum is verified in a first streaming pass, then qemu-img
 * converts it onto the device, reading the source directly (HTTP range requests, or the file).
 */
export async function writeQcow2(image: ImageSpec, device: string, deps: ImageDeps): Promise<void> {
  await hashOnly(image, deps);
  const src = await openSource(image.source, deps.log);
  let input: string;
  if ('file' in src.direct) input = src.direct.file;
  else {
    const spec: Record<string, unknown> = { driver: src.direct.url.startsWith('https:') ? 'https' : 'http', url: src.direct.url, readahead: 4 << 20, timeout: 60 };
    const cookie = Object.entries(src.direct.headers);
    if (cookie.length) throw new AnvilError('image.qcow2_headers', 'qcow2 images from sources that need headers (Glance tokens) are not supported yet; convert to raw');
    input = `json:${JSON.stringify({ file: spec })}`;
  }
  const argv = await deps.pipe(['qemu-img', 'convert'], { input });
  const stallSeconds = envInt('ANVIL_QCOW2_STALL_SECONDS') ?? QCOW2_STALL_SECONDS;
  // A qemu-img that stops moving bytes is killed and run once more (it starts over: nothing was committed).
  for (let attempt = 1; ; attempt++) {
    const watchdog = new IoWatchdog(stallSeconds * 1000);
    try {
      await deps.runner.run(argv, { timeoutMs: 6 * 3600_000, signal: watchdog.signal, onSpawn: (pid) => watchdog.watch(pid) });
      return;
    } catch (err) {
      if (!watchdog.stalled) throw err;
      if (attempt >= QCOW2_ATTEMPTS) {
        throw new AnvilError('image.qcow2_stalled', `qemu-img read and wrote nothing for ${stallSeconds} s, ${attempt} times; the image server may be hanging`, { attempts: attempt, stallSeconds });
      }
      deps.log.warn({ device, attempt, stallSeconds }, 'qemu-img stalled; killed it and starting the conversion again');
    } finally {
      watchdog.stop();
    }
  }
}

/** qemu-img without any I/O for this long is taken as hung (ANVIL_QCOW2_STALL_SECONDS overrides it). */
const QCOW2_STALL_SECONDS = 120;
const QCOW2_ATTEMPTS = 2;

/** A tarball extracted into the target tree, keeping owners, modes, xattrs and ACLs. */
export async function extractTar(image: ImageSpec, dir: string, deps: ImageDeps): Promise<StreamResult> {
  const checksum = image.checksum ? parseChecksum(image.checksum) : undefined;
  const src = await openSource(image.source, deps.log);
  const tapped = tap(src, src.bytes, checksum?.algorithm, deps.onProgress);
  const { head, rest } = await peek(tapped.stream, 8);
  const compression: Compression = image.compression && image.compression !== 'auto' ? image.compression : sniffCompression(head);
  const verify = verifier(image, tapped.state);
  const argv = await deps.pipe(['tar', '--extract']);
  const child = deps.runner.spawn(argv, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const stdin = child.stdin!;
  let bytesOut = 0;
  try {
    for await (const chunk of decompress(rest, compression, deps)) {
      bytesOut += chunk.length;
      if (!stdin.write(chunk)) await drained(stdin);
    }
  } finally {
    stdin.end();
  }
  const code = await exited;
  if (code !== 0) throw new AnvilError('image.tar_failed', `tar could not extract the image: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  const digest = await verify();
  return { bytesIn: tapped.state.bytes, bytesOut, compression, ...(digest ? { digest } : {}) };
}
