import { AnvilError, parseChecksum, type ImageSpec, type Logger } from '@anvil/shared';
import type { Runner } from '../system/runner';
import type { PipeLookup } from './pipe-lookup';
import { decompress, isQcow2, sniffCompression, type Compression } from './decompress';
import { writeToDevice } from './device-writer';
import { drained } from './drain';
import { writeExternal } from './external-writer';
import { IoWatchdog } from './io-watchdog';
import { Qcow2Unstreamable } from './qcow2/header';
import { streamQcow2 } from './qcow2/stream';
import { envInt, openSource } from './sources';
import { peek, tap, verifier, type ImageProgress } from './tap';

export type { ImageProgress } from './tap';

export interface StreamResult {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly compression: Compression;
  readonly digest?: string;
}

export type { ImageFacts, PipeLookup } from './pipe-lookup';

export interface ImageDeps {
  readonly log: Logger;
  readonly runner: Runner;
  readonly pipe: PipeLookup;
  readonly onProgress?: (p: ImageProgress) => void;
  /**
   * Asked once the image's extent on the device is known: zeroes [0, length) when the device offloads it (the
   * action's `blkdiscard --zeroout`, conditioned on that) and answers how many bytes from 0 now read as zeros
   * (0 when it did not run). The writer then skips all-zero blocks there instead of writing them.
   */
  readonly zeroTarget?: (length: number) => Promise<number>;
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
  // An uncompressed image's extent is its Content-Length: where the device zeroes that for free, zeros are skipped.
  const zeroedUpTo = compression === 'none' && src.total !== undefined && deps.zeroTarget ? await deps.zeroTarget(src.total) : 0;
  const res = await writeToDevice(outRest, device, {
    ...(limit !== undefined ? { limit } : {}),
    zeroedUpTo,
    ...(hashInWriter ? { hashAlgorithm: checksum.algorithm } : {}),
    commit: async (written) => {
      digest = await verify(written);
    },
  });
  deps.log.info({ device, bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression }, 'image written');
  return { bytesIn: tapped.state.bytes, bytesOut: res.bytesWritten, compression, ...(digest ? { digest } : {}) };
}

/** Hashes a source without storing it (a qcow2 for qemu-img: verified before qemu-img reads it). */
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
 * qcow2 in one streaming pass (qcow2/stream.ts): no staging, one download, hashed as it is written. What the
 * streamer cannot do in one pass (subclusters, a backing file, an external data file, encryption, unknown
 * features) goes to qemu-img instead, after a hashing pass, reading the source directly.
 */
export async function writeQcow2(image: ImageSpec, device: string, deps: ImageDeps, limit?: number): Promise<void> {
  const src = await openSource(image.source, deps.log);
  try {
    const r = await streamQcow2(image, src, device, { log: deps.log, ...(deps.onProgress ? { onProgress: deps.onProgress } : {}), ...(limit !== undefined ? { limit } : {}), ...(deps.zeroTarget ? { zeroTarget: deps.zeroTarget } : {}) });
    deps.log.info({ device, bytesIn: r.bytesIn, virtualSize: r.virtualSize, dataBytes: r.dataBytes, zeroBytes: r.zeroBytes }, 'qcow2 image written');
    return;
  } catch (err) {
    if (!(err instanceof Qcow2Unstreamable)) throw err;
    deps.log.warn({ device, reason: err.reason, why: err.message }, 'the qcow2 streamer refuses this image; converting it with qemu-img');
  }
  await convertWithQemuImg(image, device, deps);
}

/** The fallback: hash the image in a first pass, then qemu-img convert it, reading the source directly, behind the watchdog. */
export async function convertWithQemuImg(image: ImageSpec, device: string, deps: ImageDeps): Promise<void> {
  await hashOnly(image, deps);
  const src = await openSource(image.source, deps.log);
  let input: string;
  if ('file' in src.direct) input = src.direct.file;
  else {
    const spec: Record<string, unknown> = { driver: src.direct.url.startsWith('https:') ? 'https' : 'http', url: src.direct.url, readahead: 4 << 20, timeout: 60 };
    const cookie = Object.entries(src.direct.headers);
    if (cookie.length) throw new AnvilError('image.qcow2_headers', 'this qcow2 image needs qemu-img (the streamer refused it), and qemu-img cannot send the headers its source needs (a Glance token); convert it to raw or to a plain qcow2');
    input = `json:${JSON.stringify({ file: spec })}`;
  }
  const argv = await deps.pipe(['qemu-img', 'convert'], { input }, { streamer: 'refused' });
  const stallSeconds = envInt('ANVIL_QCOW2_STALL_SECONDS') ?? QCOW2_STALL_SECONDS;
  // A qemu-img that stops moving bytes is killed and run again, up to QCOW2_ATTEMPTS runs (each starts over: nothing was committed).
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
// Three: qemu-img's curl driver can hang again on a fresh run (seen in CI: a second 15 s stall after the server's
// one stall), and a conversion that starts over loses nothing (nothing was committed).
const QCOW2_ATTEMPTS = 3;

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
