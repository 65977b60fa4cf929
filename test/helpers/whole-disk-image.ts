import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tool } from './tools';

const MiB = 1024 * 1024;

export const fileSha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A small whole-disk image of `bytes`: GPT with one 40 MiB partition named `os` from sector 2048; random data in
 * 1 MiB runs every 4 MiB with zeros between; with `text`, also runs of text that compress (qcow2's compressed
 * clusters).
 */
export function makeWholeDiskImage(path: string, bytes: number, o: { text?: boolean } = {}): void {
  writeFileSync(path, '');
  execFileSync(tool('truncate'), ['-s', String(bytes), path]);
  const fd = openSync(path, 'r+');
  for (let off = 2 * MiB; off < bytes - 2 * MiB; off += 4 * MiB) writeSync(fd, randomBytes(MiB), 0, MiB, off);
  if (o.text) {
    const text = Buffer.from('anvil qcow2 streamer '.repeat(50_000));
    for (let off = 4 * MiB + 12345; off < bytes - 4 * MiB; off += 8 * MiB) writeSync(fd, text, 0, text.length, off);
  }
  closeSync(fd);
  execFileSync(tool('sgdisk'), ['--new=1:2048:+40M', '--typecode=1:8300', '--change-name=1:os', path], { stdio: 'ignore' });
}
