import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

// lib.dom is not in this project's lib; Node has the global.
declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => { buffer: ArrayBuffer } };

/** O_DIRECT needs buffers, offsets and lengths aligned to the device's logical block; 4 KiB covers 512e and 4Kn. */
export const DIRECT_ALIGN = 4096;

/**
 * Page-aligned memory. Node gives no alignment guarantee for a Buffer (a large one starts 16 bytes into its
 * mmap'd chunk, which O_DIRECT refuses with EINVAL), but a WebAssembly.Memory is its own mapping and starts on
 * a page boundary.
 */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.ceil(bytes / 65536);
  // Not shared: V8 copies into shared memory with relaxed atomics, several times slower than memcpy.
  return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
}

/**
 * The device opened for direct I/O, or undefined where that is refused (tmpfs files, some FUSE or network
 * filesystems): callers then write through the page cache.
 */
export async function openDirect(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, constants.O_RDWR | constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}
