import { open, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnvilError, type Logger } from '@anvil/shared';
import type { Runner } from '../system/runner';
import { CONFIG_LABEL, isIso9660 } from './build';

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

/** Reads the config drive back: the label must be config-2 and meta_data.json must be the one written. */
export async function verifyConfigdrive(device: string, expectedMeta: string | undefined, runner: Runner, log: Logger): Promise<void> {
  const label = (await runner.run(['blkid', '-p', '-o', 'value', '-s', 'LABEL', device], { allowFail: true })).stdout.trim();
  if (label.toLowerCase() !== CONFIG_LABEL) throw new AnvilError('configdrive.readback_failed', `${device} has label "${label}" after writing, not ${CONFIG_LABEL}`);
  const head = Buffer.alloc(40000);
  const fh = await open(device, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const work = await mkdtemp(join(tmpdir(), 'anvil-cdv-'));
  try {
    const out = join(work, 'meta_data.json');
    if (isIso9660(head)) {
      await runner.run(['xorriso', '-osirrox', 'on', '-indev', `stdio:${device}`, '-extract', '/openstack/latest/meta_data.json', out]);
    } else {
      await runner.run(['mcopy', '-i', device, '::openstack/latest/meta_data.json', out]);
    }
    const got = await readFile(out, 'utf8');
    if (expectedMeta !== undefined && got !== expectedMeta) throw new AnvilError('configdrive.readback_failed', `meta_data.json on ${device} differs from what was written`);
    JSON.parse(got);
    log.info({ device, label }, 'config drive read back');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
