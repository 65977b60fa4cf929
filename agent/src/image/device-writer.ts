import { open } from 'node:fs/promises';
import { AnvilError } from '@anvil/shared';

export const WITHHOLD_BYTES = 1 << 20;
const BLOCK = 4 << 20;

export interface DeviceWriteResult {
  readonly bytesWritten: number;
}

/**
 * Writes a stream onto a device (or file) at offset 0, holding back the first MiB. `commit` runs after
 * the stream ends and decides whether the held-back head is written: an image whose checksum fails is
 * never made bootable, and its tail (where a GPT backup header would be) is zeroed.
 */
export async function writeToDevice(
  stream: AsyncIterable<Buffer>,
  device: string,
  options: { limit?: number; commit: () => Promise<void>; onBytes?: (written: number) => void },
): Promise<DeviceWriteResult> {
  const fh = await open(device, 'r+');
  const head = Buffer.alloc(WITHHOLD_BYTES);
  let headLen = 0;
  let pos = 0;
  // Two blocks: one is being written to the device (in libuv's thread pool) while the next one fills from
  // the network, so downloading, hashing and writing overlap instead of taking turns.
  const blocks = [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
  let current = 0;
  let buf = blocks[0]!;
  let bufLen = 0;
  let bufPos = 0;
  let inFlight: Promise<void> | undefined;
  const writeAll = async (b: Buffer, len: number, at: number): Promise<void> => {
    let off = 0;
    while (off < len) off += (await fh.write(b, off, len - off, at + off)).bytesWritten;
  };
  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    inFlight = undefined;
    if (bufLen === 0) return;
    const write = writeAll(buf, bufLen, bufPos);
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
        if (c.length === 0) continue;
      }
      if (bufLen === 0) bufPos = pos;
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
      options.onBytes?.(pos);
    }
    await flush();
    await flush(); // waits for the last block
    await fh.sync();
    await options.commit(); // throws when the checksum does not match
    let off = 0;
    while (off < headLen) off += (await fh.write(head, off, headLen - off, off)).bytesWritten;
    await fh.sync();
    return { bytesWritten: pos };
  } catch (err) {
    await inFlight?.catch(() => undefined);
    // Nothing bootable may remain: the head was never written; zero the last MiB written too.
    const tailStart = Math.max(WITHHOLD_BYTES, pos - WITHHOLD_BYTES);
    if (pos > tailStart) await fh.write(Buffer.alloc(pos - tailStart), 0, pos - tailStart, tailStart).catch(() => undefined);
    await fh.sync().catch(() => undefined);
    throw err;
  } finally {
    await fh.close();
  }
}
