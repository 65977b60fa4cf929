import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AnvilError } from '@anvil/shared';
import type { Runner } from '../system/runner';
import type { PipeLookup } from './pipe-lookup';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/** Compression from magic bytes, never from names or Content-Type. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  // pzstd's format opens with its marker, a skippable frame of 4 bytes, not with a frame.
  if (head.length >= 8 && head.readUInt32LE(0) === 0x184d2a50 && head.readUInt32LE(4) === 4) return 'zstd';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

export function isQcow2(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === 0x514649fb;
}

/** A decompressing stream: zlib for gzip (in process), the real xz, zstd and bzip2 tools otherwise. */
export function decompress(input: AsyncIterable<Buffer>, kind: Compression, deps: { runner: Runner; pipe: PipeLookup }): AsyncIterable<Buffer> {
  if (kind === 'none') return input;
  const source = Readable.from(input, { objectMode: false, highWaterMark: 4 << 20 });
  if (kind === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const buffered = new PassThrough({ highWaterMark: 16 << 20 });
    source.on('error', (e) => gunzip.destroy(e));
    gunzip.on('error', (e) => buffered.destroy(e));
    source.pipe(gunzip).pipe(buffered);
    return buffered;
  }
  // The decompressor's argv is the action's; started once the async generator is first read.
  let argv: string[] = [];
  let stderr = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  // A deep buffer keeps the decompressor running while the device write is awaited.
  const buffered = new PassThrough({ highWaterMark: 16 << 20 });
  const start = async (): Promise<void> => {
    argv = await deps.pipe([kind], {}, { compression: kind });
    const child = deps.runner.spawn(argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    source.on('error', (e) => child.stdout!.destroy(e));
    child.stdin!.on('error', () => undefined);
    source.pipe(child.stdin!);
    exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdout!.pipe(buffered);
  };
  return (async function* () {
    await start();
    for await (const chunk of buffered as AsyncIterable<Buffer>) yield chunk;
    const code = await exited;
    if (code !== 0) throw new AnvilError('image.decompress_failed', `${argv[0]} could not decompress the image: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  })();
}
