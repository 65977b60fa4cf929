import { open, type FileHandle } from 'node:fs/promises';
import { AnvilError, IMAGE_HEAD_BYTES } from '@anvil/shared';
import { alignedBuffer, DIRECT_ALIGN, openDirect } from './aligned';
import { workerHash } from './hash-worker';
import { writeSkippingZeros } from './zero-skip';

/** The head held back until the checksum matched: the size the compiled dd pipes seek past. */
export const WITHHOLD_BYTES = IMAGE_HEAD_BYTES;
const BLOCK = 4 << 20;

export interface DeviceWriteResult {
  readonly bytesWritten: number;
  /** Hex digest of everything written, when `hashAlgorithm` was given. */
  readonly digest?: string;
}

export interface DeviceWriteOptions {
  readonly limit?: number;
  /** Hash the bytes as they are written (a raw image: the bytes written are the bytes served). */
  readonly hashAlgorithm?: string;
  /** Runs once everything but the head is on the device; throwing keeps the head back. */
  readonly commit: (digest: string | undefined) => Promise<void>;
  readonly onBytes?: (written: number) => void;
  /** The target reads zeros below this offset already: all-zero grains there are not written. */
  readonly zeroedUpTo?: number;
}

async function writeAll(fh: FileHandle, b: Buffer, len: number, at: number): Promise<void> {
  let off = 0;
  while (off < len) off += (await fh.write(b, off, len - off, at + off)).bytesWritten;
}

/**
 * Writes a stream onto a device (or file) at offset 0, holding back the first MiB. `commit` runs after
 * the stream ends and decides whether the held-back head is written: an image whose checksum fails is
 * never made bootable, and its tail (where a GPT backup header would be) is zeroed.
 *
 * The body goes to the device with direct I/O in 4 MiB blocks from page-aligned buffers: nothing is copied
 * into the page cache (which in a ramdisk is the machine's RAM, and which the device would never read back),
 * and the kernel has no dirty pages to write back at the end. The head, an unaligned last block and targets
 * that refuse O_DIRECT go through the page cache.
 */
export async function writeToDevice(
  stream: AsyncIterable<Buffer>,
  device: string,
  options: DeviceWriteOptions,
): Promise<DeviceWriteResult> {
  const fh = await open(device, 'r+');
  const direct = await openDirect(device).catch(async (err: unknown) => {
    await fh.close();
    throw err;
  });
  // Two blocks: one is being written to the device (in libuv's thread pool) while the next one fills from
  // the network, so downloading, hashing and writing overlap instead of taking turns.
  const blocks = [alignedBuffer(BLOCK), alignedBuffer(BLOCK)];
  const head = Buffer.alloc(WITHHOLD_BYTES); // written through the page cache, last
  // Each chunk is hashed on a worker once it is copied into a block: it is handed over, not copied again.
  const hash = options.hashAlgorithm ? workerHash(options.hashAlgorithm) : undefined;
  let headLen = 0;
  let pos = 0;
  let current = 0;
  let buf = blocks[0]!;
  let bufLen = 0;
  let bufPos = 0;
  let inFlight: Promise<void> | undefined;
  const writeRun = async (b: Buffer, len: number, at: number): Promise<void> => {
    if (!direct || at % DIRECT_ALIGN !== 0 || b.byteOffset % DIRECT_ALIGN !== 0) return writeAll(fh, b, len, at);
    const aligned = len - (len % DIRECT_ALIGN);
    if (aligned > 0) await writeAll(direct, b, aligned, at);
    if (aligned < len) await writeAll(fh, b.subarray(aligned), len - aligned, at + aligned);
  };
  const writeBlock = (b: Buffer, len: number, at: number): Promise<void> => writeSkippingZeros(b, len, at, options.zeroedUpTo ?? 0, writeRun);
  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    inFlight = undefined;
    if (bufLen === 0) return;
    const write = writeBlock(buf, bufLen, bufPos);
    write.catch(() => undefined); // awaited at the next flush; this only keeps it from counting as unhandled
    inFlight = write;
    current ^= 1;
    buf = blocks[current]!;
    bufLen = 0;
  };
  try {
    for await (const chunk of stream) {
      let c = chunk;
      if (options.limit !== undefined && pos + c.length > options.limit) {
        throw new AnvilError('image.too_large', `the image is larger than ${device} (${options.limit} bytes)`);
      }
      if (headLen < WITHHOLD_BYTES) {
        const take = Math.min(WITHHOLD_BYTES - headLen, c.length);
        c.copy(head, headLen, 0, take);
        headLen += take;
        pos += take;
        c = c.subarray(take);
      }
      if (bufLen === 0 && c.length > 0) bufPos = pos;
      while (c.length > 0) {
        const take = Math.min(BLOCK - bufLen, c.length);
        c.copy(buf, bufLen, 0, take);
        bufLen += take;
        pos += take;
        c = c.subarray(take);
        if (bufLen === BLOCK) {
          await flush();
          bufPos = pos;
        }
      }
      const wait = hash?.update(chunk, true);
      if (wait) await wait;
      options.onBytes?.(pos);
    }
    await flush();
    await flush(); // waits for the last block
    await fh.sync();
    const digest = await hash?.digest();
    await options.commit(digest); // throws when the checksum does not match
    await writeAll(fh, head, headLen, 0);
    await fh.sync();
    return { bytesWritten: pos, ...(digest !== undefined ? { digest } : {}) };
  } catch (err) {
    hash?.close();
    await inFlight?.catch(() => undefined);
    // Nothing bootable may remain: the head was never written; zero the last MiB written too.
    const tailStart = Math.max(WITHHOLD_BYTES, pos - WITHHOLD_BYTES);
    if (pos > tailStart) await fh.write(Buffer.alloc(pos - tailStart), 0, pos - tailStart, tailStart).catch(() => undefined);
    await fh.sync().catch(() => undefined);
    throw err;
  } finally {
    await direct?.close();
    await fh.close();
  }
}
