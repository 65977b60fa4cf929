import type { ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnvilError } from '@anvil/shared';
import { openDirect } from './aligned';
import type { Runner } from '../system/runner';
import type { PipeLookup } from './pipe-lookup';
import { isQcow2, type Compression } from './decompress';
import { WITHHOLD_BYTES } from './device-writer';
import { drained } from './drain';
import { zstdLayout } from './zstd-frames';

/**
 * Resolves with the child's stderr once it has exited and its stderr is drained. ('close' is not used: it
 * also waits for stdin, which here is a pipe shared with another process.)
 */
function finished(child: ChildProcess, name: string): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const drained = child.stderr ? new Promise<void>((r) => child.stderr!.on('close', () => r())) : Promise.resolve();
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  return Promise.all([exited, drained]).then(([code]) => {
    if (code !== 0) throw new AnvilError('image.write_failed', `${name} failed: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
    return stderr;
  });
}

/**
 * For images compressed with xz, zstd or bzip2, the decompressed bytes do not pass through Node: the real
 * decompressor feeds `dd`, which writes everything after the first MiB straight to the device, while the first
 * MiB goes to a scratch file and is held back exactly as in the in-process path. Node only feeds the
 * (compressed) input and hashes it.
 */
export async function writeExternal(
  input: AsyncIterable<Buffer>,
  kind: Exclude<Compression, 'gzip' | 'none'>,
  device: string,
  deps: { runner: Runner; pipe: PipeLookup },
  commit: () => Promise<void>,
): Promise<{ bytesWritten: number }> {
  // dd writes with direct I/O where the target takes it, as the in-process writer does (GNU dd drops
  // O_DIRECT by itself for a short last block).
  const direct = await openDirect(device);
  await direct?.close();
  // Before anything that needs cleaning up: this reads the start of the stream, which may fail.
  const { argv, stream: compressed } = await decoder(input, kind, deps.pipe);
  const scratch = await mkdtemp(join(tmpdir(), 'anvil-head-'));
  const headFile = join(scratch, 'head');
  const dec = deps.runner.spawn(argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const decDone = finished(dec, argv[0]!);
  const stdin = dec.stdin!;
  stdin.on('error', () => undefined); // a decompressor that dies is reported by finished()
  // The compressed bytes go straight into the decompressor's pipe, waiting for it only when the pipe is full.
  const fed = (async (): Promise<void> => {
    try {
      for await (const chunk of compressed) {
        if (!stdin.write(chunk)) await drained(stdin);
      }
      stdin.end();
    } catch (e) {
      dec.kill('SIGKILL');
      throw e;
    }
  })();
  fed.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  let written = 0;
  try {
    const headDd = deps.runner.spawn(await deps.pipe(['dd', 'bs=1M', 'count=1'], { head: headFile }), { stdio: [dec.stdout!, 'ignore', 'pipe'] });
    await finished(headDd, 'dd (head)');
    const head = await readFile(headFile);
    if (isQcow2(head)) throw new AnvilError('image.format_mismatch', 'the image is qcow2 but the plan says raw; set format: qcow2');
    written = head.length;
    // 1 MiB direct writes: dd does not read while it writes, and shorter writes stall the decompressor less.
    const tail = direct ? { block: '1M', oflag: 'seek_bytes,direct' } : { block: '4M', oflag: 'seek_bytes' };
    const tailDd = deps.runner.spawn(await deps.pipe(['dd', `of=${device}`], tail), { stdio: [dec.stdout!, 'ignore', 'pipe'] });
    const [stats] = await Promise.all([finished(tailDd, 'dd'), decDone, fed]);
    written += bytesCopied(stats);
    await commit(); // throws when the checksum does not match
    const fh = await open(device, 'r+');
    try {
      let off = 0;
      while (off < head.length) off += (await fh.write(head, off, head.length - off, off)).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { bytesWritten: written };
  } catch (err) {
    dec.kill('SIGKILL');
    const fh = await open(device, 'r+').catch(() => undefined);
    if (fh) {
      const tailStart = Math.max(WITHHOLD_BYTES, written - WITHHOLD_BYTES);
      if (written > tailStart) await fh.write(Buffer.alloc(written - tailStart), 0, written - tailStart, tailStart).catch(() => undefined);
      await fh.sync().catch(() => undefined);
      await fh.close();
    }
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The decompressor for this image, and its input. A zstd image of several frames goes to pzstd, one frame per
 * core, with pzstd's marker before each frame (zstd-frames.ts); where the action declares no pzstd for this
 * machine (not installed), zstd decodes the same marked stream on one core.
 */
async function decoder(input: AsyncIterable<Buffer>, kind: Exclude<Compression, 'gzip' | 'none'>, pipe: PipeLookup): Promise<{ argv: string[]; stream: AsyncIterable<Buffer> }> {
  if (kind !== 'zstd') return { argv: await pipe([kind], {}, { compression: kind }), stream: input };
  const { layout, stream } = await zstdLayout(input);
  if (layout !== 'single') {
    try {
      return { argv: await pipe(['pzstd'], {}, { compression: kind, zstdFrames: 'many' }), stream };
    } catch (e) {
      if (!(e instanceof AnvilError && e.code === 'exec.undeclared_command')) throw e;
    }
  }
  return { argv: await pipe([kind], {}, { compression: kind }), stream };
}

/** dd's "N bytes (…) copied" line. */
function bytesCopied(stderr: string): number {
  const m = /^(\d+) bytes/m.exec(stderr);
  return m ? Number(m[1]) : 0;
}
