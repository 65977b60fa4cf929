import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readSync, closeSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from './tools';

/** Sparse files attached as loop devices; everything is detached and removed by `cleanup()`. */
export class LoopDisks {
  readonly dir = mkdtempSync(join(tmpdir(), 'anvil-loop-'));
  private readonly attached: string[] = [];

  create(name: string, bytes: number): string {
    const file = join(this.dir, `${name}.img`);
    writeFileSync(file, '');
    truncateSync(file, bytes);
    const dev = execFileSync(tool('losetup'), ['--find', '--show', file], { encoding: 'utf8' }).trim();
    this.attached.push(dev);
    return dev;
  }

  cleanup(): void {
    // Also what a failed run left mounted from these devices elsewhere (a target root in another temp dir):
    // a later test would meet a filesystem of the same derived UUID still mounted.
    for (const mp of [...mountsUnder(this.dir), ...mountsOf(this.attached)]) execFileSync(tool('umount'), ['--lazy', mp], { stdio: 'ignore' });
    for (const dev of this.attached.reverse()) {
      try {
        execFileSync(tool('losetup'), ['--detach', dev], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Mount points whose source is one of the devices or their partitions, deepest first. */
function mountsOf(devices: readonly string[]): string[] {
  const lines = execFileSync('cat', ['/proc/self/mounts'], { encoding: 'utf8' }).split('\n');
  return lines
    .map((l) => l.split(' '))
    .filter(([src]) => devices.some((d) => src === d || (src ?? '').startsWith(`${d}p`)))
    .map(([, mp]) => mp ?? '')
    .sort((a, b) => b.length - a.length);
}

export function mountsUnder(dir: string): string[] {
  const lines = execFileSync('cat', ['/proc/self/mounts'], { encoding: 'utf8' }).split('\n');
  return lines
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/** sha256 of a byte range of a device (default: all of it). */
/** Fills a device with random bytes (1 MiB repeated): zeros an image has must then be written, not assumed. */
export function fillRandom(dev: string, bytes: number): string {
  const fd = openSync(dev, 'r+');
  const junk = randomBytes(1 << 20);
  try {
    for (let off = 0; off < bytes; off += junk.length) writeSync(fd, junk, 0, Math.min(junk.length, bytes - off), off);
  } finally {
    closeSync(fd);
  }
  return dev;
}

export function hashDevice(dev: string, offset = 0, length?: number): string {
  const size = length ?? Number(execFileSync(tool('blockdev'), ['--getsize64', dev], { encoding: 'utf8' }).trim()) - offset;
  const h = createHash('sha256');
  const fd = openSync(dev, 'r');
  const buf = Buffer.alloc(4 << 20);
  try {
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), offset + pos);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export function readBytes(dev: string, offset: number, length: number): Buffer {
  const fd = openSync(dev, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export function blkid(dev: string): Record<string, string> {
  try {
    const out = execFileSync(tool('blkid'), ['-p', '-o', 'export', dev], { encoding: 'utf8' });
    return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  } catch {
    return {};
  }
}
