import { open } from 'node:fs/promises';
import { AnvilError } from '@anvil/shared';

/** Writes the image to the partition, zeroing what is left of it, and syncs. */
export async function writeImageToPartition(image: Buffer, device: string, partitionBytes: number): Promise<void> {
  if (image.length > partitionBytes) throw new AnvilError('configdrive.too_large', `the config drive (${image.length} bytes) does not fit ${device} (${partitionBytes} bytes)`);
  const fh = await open(device, 'r+');
  try {
    let off = 0;
    while (off < image.length) off += (await fh.write(image, off, image.length - off, off)).bytesWritten;
    const zero = Buffer.alloc(1 << 20);
    for (let pos = image.length; pos < Math.min(partitionBytes, image.length + (4 << 20)); pos += zero.length) {
      await fh.write(zero, 0, Math.min(zero.length, partitionBytes - pos), pos);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}
