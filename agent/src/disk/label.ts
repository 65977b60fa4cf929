import { open } from 'node:fs/promises';

const SIGNATURE = Buffer.from('EFI PART');

/**
 * Which partition table a device holds, read from its first sectors in process: a GPT header at LBA 1 (for
 * 512- or 4096-byte logical sectors), else an MBR boot signature.
 */
export async function tableLabel(device: string): Promise<'gpt' | 'msdos' | undefined> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (const sector of [512, 4096]) {
      await fh.read(buf, 0, 8, sector);
      if (buf.equals(SIGNATURE)) return 'gpt';
    }
    const mbr = Buffer.alloc(2);
    await fh.read(mbr, 0, 2, 510);
    return mbr[0] === 0x55 && mbr[1] === 0xaa ? 'msdos' : undefined;
  } finally {
    await fh.close();
  }
}
