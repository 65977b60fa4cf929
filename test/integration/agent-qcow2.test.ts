import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileServer } from '../helpers/http-server';
import { fillRandom, hashDevice, LoopDisks, readBytes } from '../helpers/loop';
import { runProvision } from '../helpers/provision';
import { fileSha256 as sha256, makeWholeDiskImage } from '../helpers/whole-disk-image';
import { tool } from '../helpers/tools';

/*
 * qcow2 images as cloud images come: written by the agent's one-pass streamer (header and L1/L2 tables by range
 * requests, then one GET of the file), compared byte for byte with what qemu-img makes of the same file.
 */
const MiB = 1024 * 1024;
const IMAGE_BYTES = 48 * MiB;
const loops = new LoopDisks();
const server = new FileServer();
let raw: string;

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });

/** A disk full of random bytes: zeros the image has must be written (or zeroed by the device), not assumed. */
const dirtyDisk = (name: string, bytes: number): string => fillRandom(loops.create(name, bytes), bytes);

/** Runs with the device's write-zeroes offload ignored (ANVIL_WRITE_ZEROES=off): every zero is written. */
async function withoutOffload<T>(fn: () => Promise<T>): Promise<T> {
  process.env.ANVIL_WRITE_ZEROES = 'off';
  try {
    return await fn();
  } finally {
    delete process.env.ANVIL_WRITE_ZEROES;
  }
}

function plan(dev: string, url: string, checksum: string): unknown {
  return { version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { url }, checksum, format: 'qcow2', target: { disk: 'd' } }] };
}

/** The device holds what qemu-img reads from the image (the GPT headers aside: the backup moved to the disk's end). */
function expectGuestOn(dev: string, reference: string): void {
  const span = IMAGE_BYTES - 2 * MiB;
  expect(hashDevice(dev, MiB, span)).toBe(createHash('sha256').update(readFileSync(reference).subarray(MiB, MiB + span)).digest('hex'));
  expect(sh('sgdisk', ['--verify', dev])).toContain('No problems found');
  expect(sh('sgdisk', ['--info=1', dev])).toMatch(/First sector: 2048 [\s\S]*Partition name: 'os'/);
}

const variants: Array<[string, string[]]> = [
  ['v3, 64 KiB clusters', []],
  ['v2 (compat 0.10)', ['-o', 'compat=0.10']],
  ['deflate-compressed clusters', ['-c']],
  ['zstd-compressed clusters', ['-c', '-o', 'compression_type=zstd']],
  ['2 KiB clusters (writes not 4 KiB-aligned)', ['-o', 'cluster_size=2048']],
  ['2 MiB clusters', ['-o', 'cluster_size=2097152']],
];
const files = new Map<string, string>();

beforeAll(async () => {
  await server.start('127.0.0.1', { keepAliveMs: 300 }); // closes idle keep-alive connections quickly, as real servers do
  raw = join(loops.dir, 'disk.img');
  makeWholeDiskImage(raw, IMAGE_BYTES, { text: true });
  variants.forEach(([label, opts], i) => {
    const file = join(loops.dir, `v${i}.qcow2`);
    sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...opts, raw, file]);
    files.set(label, file);
    server.add(`/v${i}.qcow2`, file);
  });
});

afterAll(async () => {
  await server.stop();
  loops.cleanup();
});

describe('agent: qcow2 images in one streaming pass', () => {
  variants.forEach(([label], i) => {
    // Loop devices offload write-zeroes (fallocate on their file); every other variant writes its zeros itself.
    const offload = i % 2 === 0;
    it(`writes a qcow2 image with ${label}, downloading it once (${offload ? 'the device zeroes, zero blocks skipped' : 'zeros written'})`, async () => {
      const dev = dirtyDisk(`q${i}`, 64 * MiB);
      const file = files.get(label)!;
      const before = server.hits.length;
      const go = (): ReturnType<typeof runProvision> => runProvision(plan(dev, server.url(`/v${i}.qcow2`), `sha256:${sha256(file)}`), [dev]);
      const r = offload ? await go() : await withoutOffload(go);
      expect(r.error).toBeUndefined();
      expectGuestOn(dev, raw);
      const hits = server.hits.slice(before).filter((h) => h.path === `/v${i}.qcow2`);
      expect(hits.filter((h) => h.range === undefined)).toHaveLength(1); // the one pass
      expect(hits.every((h) => h.range === undefined || /^bytes=\d+-\d+$/.test(h.range))).toBe(true); // the tables, by bounded ranges
      const progress = r.events.filter((e) => e.type === 'progress');
      expect(progress.at(-1)).toMatchObject({ bytes: readFileSync(file).length });
    });
  });

  it('reads zero clusters (v3 zero flag over allocated and unallocated clusters) as zeros', async () => {
    const file = join(loops.dir, 'zeroed.qcow2');
    sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, file]);
    // Clusters that held data, then zeroed in place (flag on an allocated cluster), and a run past the data zeroed.
    sh('qemu-io', ['-f', 'qcow2', '-c', 'write -z 2M 512k', '-c', 'write -z -u 6M 1M', '-c', 'write -z 40M 4M', file]);
    const reference = join(loops.dir, 'zeroed.raw');
    sh('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', file, reference]);
    expect(readBytes(reference, 2 * MiB, 512 * 1024).equals(Buffer.alloc(512 * 1024))).toBe(true);
    server.add('/zeroed.qcow2', file);
    for (const offload of [true, false]) {
      const dev = dirtyDisk(`qzero-${offload}`, 64 * MiB);
      const go = (): ReturnType<typeof runProvision> => runProvision(plan(dev, server.url('/zeroed.qcow2'), `sha256:${sha256(file)}`), [dev]);
      const r = offload ? await go() : await withoutOffload(go);
      expect(r.error).toBeUndefined();
      expectGuestOn(dev, reference);
    }
  });

  it('resumes the one pass with Range when the server stops sending mid-file', async () => {
    const file = files.get('v3, 64 KiB clusters')!;
    server.add('/stall-full.qcow2', file, { stallOn: 'full', stallAfter: 9 * MiB + 4321, stalls: 1 });
    const dev = dirtyDisk('qstall', 64 * MiB);
    process.env.ANVIL_HTTP_TIMEOUT_MS = '2000';
    process.env.ANVIL_HTTP_RETRY_DELAY_MS = '50';
    try {
      const r = await runProvision(plan(dev, server.url('/stall-full.qcow2'), `sha256:${sha256(file)}`), [dev]);
      expect(r.error).toBeUndefined();
    } finally {
      delete process.env.ANVIL_HTTP_TIMEOUT_MS;
      delete process.env.ANVIL_HTTP_RETRY_DELAY_MS;
    }
    expectGuestOn(dev, raw);
    const hits = server.hits.filter((h) => h.path === '/stall-full.qcow2');
    expect(hits.filter((h) => h.range === undefined)).toHaveLength(1);
    expect(hits.some((h) => h.range === `bytes=${9 * MiB + 4321}-`)).toBe(true); // resumed where it stopped, not from the start
  });

  it('fails on a checksum mismatch and leaves nothing bootable: no first MiB, no backup GPT', async () => {
    const dev = dirtyDisk('qbad', 64 * MiB);
    const r = await runProvision(plan(dev, server.url('/v0.qcow2'), `sha256:${'0'.repeat(64)}`), [dev]);
    expect(r.error?.code).toBe('image.checksum_mismatch');
    expect(readBytes(dev, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true); // the wipe before the image zeroed it; nothing wrote it since
    expect(readBytes(dev, IMAGE_BYTES - MiB, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    expect(() => sh('sfdisk', ['--json', dev])).toThrow();
  });

  it('refuses a virtual disk larger than the device before writing anything', async () => {
    const dev = dirtyDisk('qsmall', 32 * MiB);
    const before = hashDevice(dev, 2 * MiB, 28 * MiB);
    const passes = (): number => server.hits.filter((h) => h.path === '/v0.qcow2' && h.range === undefined).length;
    const passesBefore = passes();
    const r = await runProvision(plan(dev, server.url('/v0.qcow2'), `sha256:${sha256(files.get('v3, 64 KiB clusters')!)}`), [dev]);
    expect(r.error?.code).toBe('image.too_large');
    expect(r.error?.message).toMatch(/virtual disk is 50331648 bytes/);
    expect(hashDevice(dev, 2 * MiB, 28 * MiB)).toBe(before); // between the ends the wipe before the image zeroes, untouched
    expect(passes()).toBe(passesBefore); // the tables said it, before the download
  });

  it('fails with image.range_unsupported on a server that ignores Range', async () => {
    const { createServer } = await import('node:http');
    const file = files.get('v3, 64 KiB clusters')!;
    const body = readFileSync(file);
    const noRange = createServer((_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    await new Promise<void>((resolve) => noRange.listen(0, '127.0.0.1', resolve));
    try {
      const dev = dirtyDisk('qnorange', 64 * MiB);
      const port = (noRange.address() as { port: number }).port;
      const r = await runProvision(plan(dev, `http://127.0.0.1:${port}/x.qcow2`, `sha256:${sha256(file)}`), [dev]);
      expect(r.error?.code).toBe('image.range_unsupported');
    } finally {
      noRange.closeAllConnections();
      await new Promise<void>((resolve) => noRange.close(() => resolve()));
    }
  });
});

describe('agent: qcow2 images the streamer hands to qemu-img', () => {
  // qemu-img's curl driver hangs on connections the server closed while idle (CLOSE-WAIT): its fallback server
  // keeps them open, and the watchdog is for a server that hangs outright.
  const slow = new FileServer();
  let extl2: string;
  beforeAll(async () => {
    await slow.start('127.0.0.1', { keepAliveMs: 120_000 });
    extl2 = join(loops.dir, 'extl2.qcow2');
    sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'extended_l2=on', raw, extl2]);
    slow.add('/extl2.qcow2', extl2);
  });
  afterAll(() => slow.stop());

  it('converts an image with subclusters (extended L2) with qemu-img, after verifying its checksum', async () => {
    const dev = dirtyDisk('qext', 64 * MiB);
    const r = await runProvision(plan(dev, slow.url('/extl2.qcow2'), `sha256:${sha256(extl2)}`), [dev]);
    expect(r.error).toBeUndefined();
    expectGuestOn(dev, raw);
    const hits = slow.hits.filter((h) => h.path === '/extl2.qcow2');
    expect(hits.filter((h) => h.method === 'GET' && h.range === undefined).length).toBe(1); // the hashing pass; qemu-img reads by ranges
    expect(hits.filter((h) => h.range?.startsWith('bytes=0-')).length).toBeGreaterThan(0);
  });

  it('kills a qemu-img that hangs on a server that stops sending, and converts again', async () => {
    const dev = dirtyDisk('qext-stall', 64 * MiB);
    slow.add('/stall.qcow2', extl2, { stallAfter: 4096, stallSkip: 1, stalls: 1 }); // after the streamer's header read, qemu-img's first
    process.env.ANVIL_QCOW2_STALL_SECONDS = '15'; // the stall is for good; a healthy qemu-img under CI load may pause a few seconds
    try {
      const r = await runProvision(plan(dev, slow.url('/stall.qcow2'), `sha256:${sha256(extl2)}`), [dev]);
      expect(r.error).toBeUndefined();
    } finally {
      delete process.env.ANVIL_QCOW2_STALL_SECONDS;
    }
    expectGuestOn(dev, raw);
  });
});
