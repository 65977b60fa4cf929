import { open } from 'node:fs/promises';

const SIGNATURE = Buffer.from('EFI PART');

/** Whether the device holds a GPT header at LBA 1 (for 512-byte or 4096-byte logical sectors). */
export async function hasGpt(device: string): Promise<boolean> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (const sector of [512, 4096]) {
      await fh.read(buf, 0, 8, sector);
      if (buf.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
