import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devicePipes, silentLogger, type ImageT } from '@anvil/shared';
import { SystemRunner, type Runner } from '@anvil/agent';
import { pipeLookup } from '../../agent/src/execute/commands';
import { systemImageIo } from '../../agent/src/execute/image-io';
import { streamImageToDevice } from '../../agent/src/image/pipeline';
import { FileServer } from '../helpers/http-server';
import { blkid, fillRandom, hashDevice, LoopDisks, readBytes } from '../helpers/loop';
import { runProvision } from '../helpers/provision';
import { fileSha256 as sha256, makeWholeDiskImage } from '../helpers/whole-disk-image';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const IMAGE_BYTES = 48 * MiB;
const loops = new LoopDisks();
const server = new FileServer();
let raw: string;

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });

beforeAll(async () => {
  await server.start();
  raw = join(loops.dir, 'disk.img');
  makeWholeDiskImage(raw, IMAGE_BYTES);
  sh('gzip', ['-k', '-1', raw]);
  sh('xz', ['-k', '-0', '-T0', raw]);
  sh('zstd', ['-q', '-1', raw, '-o', `${raw}.zst`]);
  sh('bzip2', ['-k', '-1', raw]);
  for (const ext of ['', '.gz', '.xz', '.zst', '.bz2']) server.add(`/disk.img${ext}`, `${raw}${ext}`);
});

afterAll(async () => {
  await server.stop();
  loops.cleanup();
});

function wholeDiskPlan(dev: string, url: string, checksum: string, extra: Record<string, unknown> = {}, image: Record<string, unknown> = {}): unknown {
  return { version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { url }, checksum, target: { disk: 'd' }, ...image }], ...extra };
}

/**
 * The device holds the image: every byte between the table and the old backup GPT (the GPT headers
 * themselves change when the backup moves to the disk's end), the same partition 1, and a valid GPT.
 */
function expectImageOn(dev: string): void {
  const span = IMAGE_BYTES - 2 * MiB;
  expect(hashDevice(dev, MiB, span)).toBe(createHash('sha256').update(readFileSync(raw).subarray(MiB, MiB + span)).digest('hex'));
  expect(sh('sgdisk', ['--verify', dev])).toContain('No problems found');
  expect(sh('sgdisk', ['--info=1', dev])).toMatch(/First sector: 2048 [\s\S]*Partition name: 'os'/);
}

describe('agent: whole-disk images over HTTP', () => {
  for (const [ext, label] of [['', 'raw'], ['.gz', 'gzip'], ['.xz', 'xz'], ['.zst', 'zstd'], ['.bz2', 'bzip2']] as const) {
    it(`writes a ${label} image, sniffing the compression, and moves the backup GPT to the end`, async () => {
      // On random bytes: a raw image's zeros are zeroed by the device (loop devices offload it) and skipped.
      const dev = fillRandom(loops.create(`img-${label}`, 128 * MiB), 128 * MiB);
      const r = await runProvision(wholeDiskPlan(dev, server.url(`/disk.img${ext}`), `sha256:${sha256(`${raw}${ext}`)}`), [dev]);
      expect(r.error).toBeUndefined();
      expectImageOn(dev);
      const progress = r.events.filter((e) => e.type === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({ bytes: statSync(`${raw}${ext}`).size, total: statSync(`${raw}${ext}`).size });
    });
  }

  for (const ext of ['', '.gz', '.zst']) {
    it(`fails on a checksum mismatch (${ext || 'raw'}) and leaves nothing bootable`, async () => {
      const dev = loops.create(`img-badsum${ext}`, 128 * MiB);
      sh('sgdisk', ['--new=1:2048:+10M', dev]); // an old, valid table that must not survive either
      const r = await runProvision(wholeDiskPlan(dev, server.url(`/disk.img${ext}`), `sha256:${'0'.repeat(64)}`), [dev]);
      expect(r.error?.code).toBe('image.checksum_mismatch');
      expect(readBytes(dev, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
      expect(readBytes(dev, IMAGE_BYTES - MiB, MiB).equals(Buffer.alloc(MiB))).toBe(true);
      expect(() => sh('sfdisk', ['--json', dev])).toThrow();
    });
  }

  it('writes an MBR whole-disk image byte for byte (no GPT is created on a disk whose image has none)', async () => {
    const mbr = join(loops.dir, 'mbr.img');
    writeFileSync(mbr, Buffer.concat([Buffer.alloc(MiB), randomBytes(3 * MiB)]));
    execFileSync(tool('sfdisk'), ['--quiet', mbr], { input: 'label: dos\nstart=2048, size=4096, type=83\n' });
    server.add('/mbr.img', mbr);
    const dev = loops.create('img-mbr', 32 * MiB);
    const r = await runProvision(wholeDiskPlan(dev, server.url('/mbr.img'), `sha256:${sha256(mbr)}`), [dev]);
    expect(r.error).toBeUndefined();
    expect(hashDevice(dev, 0, 4 * MiB)).toBe(sha256(mbr));
    expect(readBytes(dev, 512, 8).toString()).not.toBe('EFI PART');
  });

  it('writes a raw image whose size is no multiple of 4 KiB byte for byte (direct I/O for the aligned part, the rest buffered)', async () => {
    const odd = join(loops.dir, 'odd.img');
    writeFileSync(odd, randomBytes(9 * MiB + 1234));
    server.add('/odd.img', odd);
    const dev = loops.create('img-odd', 32 * MiB);
    const r = await runProvision(wholeDiskPlan(dev, server.url('/odd.img'), `sha512:${createHash('sha512').update(readFileSync(odd)).digest('hex')}`), [dev]);
    expect(r.error).toBeUndefined();
    expect(hashDevice(dev, 0, 9 * MiB + 1234)).toBe(sha256(odd));
    expect(readBytes(dev, 9 * MiB + 1234, 4096).equals(Buffer.alloc(4096))).toBe(true);
  });

  it('fails on a truncated download (short read) and leaves nothing bootable', async () => {
    const dev = loops.create('img-short', 128 * MiB);
    server.add('/short.img', raw, { truncateTo: 20 * MiB });
    process.env.ANVIL_HTTP_RETRIES = '2';
    process.env.ANVIL_HTTP_RETRY_DELAY_MS = '50';
    try {
      const r = await runProvision(wholeDiskPlan(dev, server.url('/short.img'), `sha256:${sha256(raw)}`), [dev]);
      expect(r.error?.code).toBe('image.short_read');
    } finally {
      delete process.env.ANVIL_HTTP_RETRIES;
      delete process.env.ANVIL_HTTP_RETRY_DELAY_MS;
    }
    expect(readBytes(dev, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('resumes with Range after the connection drops mid-image', async () => {
    const dev = loops.create('img-resume', 128 * MiB);
    server.add('/flaky.img.zst', `${raw}.zst`, { dropAfter: 5 * MiB, drops: 2 });
    process.env.ANVIL_HTTP_RETRY_DELAY_MS = '50';
    try {
      const r = await runProvision(wholeDiskPlan(dev, server.url('/flaky.img.zst'), `sha256:${sha256(`${raw}.zst`)}`), [dev]);
      expect(r.error).toBeUndefined();
    } finally {
      delete process.env.ANVIL_HTTP_RETRY_DELAY_MS;
    }
    expectImageOn(dev);
    expect(server.hits.filter((h) => h.path === '/flaky.img.zst').map((h) => h.range)).toEqual([undefined, `bytes=${5 * MiB}-`, `bytes=${10 * MiB}-`]);
  });

  it('adds the config drive in a new partition at the end of the disk after the image, and reuses it next time', async () => {
    const dev = loops.create('img-cd', 256 * MiB);
    const cd = { configdrive: { disk: 'd', source: { meta_data: { name: 'wd' } }, format: 'vfat' } };
    const r = await runProvision(wholeDiskPlan(dev, server.url('/disk.img'), `sha256:${sha256(raw)}`, cd), [dev]);
    expect(r.error).toBeUndefined();
    expectImageOn(dev);
    const part = blkid(`${dev}p2`);
    expect(part.LABEL?.toLowerCase()).toBe('config-2');
    expect(part.TYPE).toBe('vfat');
    expect(Number(part.PART_ENTRY_OFFSET) + Number(part.PART_ENTRY_SIZE)).toBeLessThanOrEqual(256 * 2048 - 33);
    expect(Number(part.PART_ENTRY_SIZE)).toBe(64 * 2048);
    expect(sh('mcopy', ['-i', `${dev}p2`, '::openstack/latest/meta_data.json', '-'])).toBe('{"name":"wd"}');
  });
});

describe('agent: filesystem images and config drive forms', () => {
  let fsImage: string;
  beforeAll(() => {
    fsImage = join(loops.dir, 'root.ext4');
    writeFileSync(fsImage, '');
    sh('truncate', ['-s', String(64 * MiB), fsImage]);
    sh('mkfs.ext4', ['-q', '-F', '-L', 'imgroot', fsImage]);
    sh('debugfs', ['-w', '-R', `write ${raw} /payload`, fsImage]);
    sh('gzip', ['-k', '-1', fsImage]);
    server.add('/root.ext4.gz', `${fsImage}.gz`);
  });

  it('writes a filesystem image, grows it to the partition and gives it a fresh UUID', async () => {
    const dev = loops.create('fsimg', 768 * MiB);
    const before = blkid(fsImage).UUID;
    const iso = join(loops.dir, 'cd.iso');
    const tree = join(loops.dir, 'cdtree');
    sh('mkdir', ['-p', `${tree}/openstack/latest`]);
    writeFileSync(`${tree}/openstack/latest/meta_data.json`, '{"name":"from-iso"}');
    sh('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'config-2', '-J', '-r', tree]);
    const b64 = execFileSync(tool('gzip'), ['-c', iso]).toString('base64');
    const plan = {
      version: 1,
      metadata: { deployment_id: 'fsimg-1' },
      disks: [{ id: 'd', select: { name: dev }, partitions: [{ id: 'root', size: '300MiB' }, { id: 'data', size: 'remaining' }] }],
      filesystems: [
        { id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } },
        { id: 'fs-data', device: 'data', type: 'xfs', mount: { path: '/data' } },
      ],
      images: [{ id: 'os', source: { url: server.url('/root.ext4.gz') }, checksum: `sha256:${sha256(`${fsImage}.gz`)}`, format: 'filesystem', target: { device: 'root' } }],
      configdrive: { disk: 'd', source: b64, size: '16MiB' },
    };
    const r = await runProvision(plan, [dev]);
    expect(r.error).toBeUndefined();
    const root = blkid(`${dev}p1`);
    expect(root.LABEL).toBe('imgroot');
    expect(root.UUID).not.toBe(before);
    const blocks = sh('dumpe2fs', ['-h', `${dev}p1`]).match(/Block count:\s+(\d+)/)![1];
    const bsize = sh('dumpe2fs', ['-h', `${dev}p1`]).match(/Block size:\s+(\d+)/)![1];
    expect(Number(blocks) * Number(bsize)).toBe(300 * MiB);
    expect(sh('debugfs', ['-R', 'stat /payload', `${dev}p1`])).toContain(`Size: ${IMAGE_BYTES}`);
    const cd = blkid(`${dev}p3`);
    expect(cd).toMatchObject({ LABEL: 'config-2', TYPE: 'iso9660' });
  });

  it('fetches a config drive given as a URL', async () => {
    const dev = loops.create('cdurl', 128 * MiB);
    const iso = join(loops.dir, 'cd2.iso');
    const tree = join(loops.dir, 'cdtree2');
    sh('mkdir', ['-p', `${tree}/openstack/latest`]);
    writeFileSync(`${tree}/openstack/latest/meta_data.json`, '{"name":"from-url"}');
    sh('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'config-2', '-J', '-r', tree]);
    writeFileSync(`${iso}.b64`, execFileSync(tool('gzip'), ['-c', iso]).toString('base64'));
    server.add('/cd.b64', `${iso}.b64`);
    const plan = {
      version: 1,
      disks: [{ id: 'd', select: { name: dev }, partitions: [{ id: 'root', size: 'remaining' }] }],
      filesystems: [{ id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } }],
      configdrive: { disk: 'd', source: server.url('/cd.b64') },
    };
    const r = await runProvision(plan, [dev]);
    expect(r.error).toBeUndefined();
    const out = join(loops.dir, 'm.json');
    execFileSync(tool('xorriso'), ['-osirrox', 'on', '-indev', `stdio:${dev}p2`, '-extract', '/openstack/latest/meta_data.json', out], { stdio: 'ignore' });
    expect(readFileSync(out, 'utf8')).toBe('{"name":"from-url"}');
  });
});

describe('agent: compressed images on every core', () => {
  /** Runs the write as the action declares it, recording which decompressor the agent chose. */
  async function write(file: string, dev: string): Promise<string[]> {
    const url = server.url(`/${file.split('/').pop()!}`);
    server.add(`/${file.split('/').pop()!}`, file);
    const im: ImageT = { id: 'os', source: { url }, checksum: `sha256:${sha256(file)}`, format: 'raw', target: { disk: 'd' } };
    const system = new SystemRunner(silentLogger());
    const ran: string[] = [];
    const runner: Runner = { run: (argv, o) => system.run(argv, o), spawn: (argv, o) => (ran.push(argv[0]!), system.spawn(argv, o)) };
    const pipe = pipeLookup({ kind: 'write_image', id: 'os', pipes: devicePipes(im, dev) }, { firmware: 'bios', ...systemImageIo.machine });
    await streamImageToDevice(im, dev, { log: silentLogger(), runner, pipe });
    return ran;
  }

  it('decodes a pzstd image with pzstd, byte for byte', async () => {
    const file = `${raw}.pz.zst`;
    sh('pzstd', ['-q', '-1', '-p', '2', raw, '-o', file]);
    const dev = fillRandom(loops.create('img-pzstd', 128 * MiB), 128 * MiB);
    expect(await write(file, dev)).toContain('pzstd');
    expect(hashDevice(dev, 0, IMAGE_BYTES)).toBe(sha256(raw));
  });

  it('decodes frames concatenated (zstd over 4 MiB pieces) with pzstd, each frame marked on the way, byte for byte', async () => {
    const file = `${raw}.frames.zst`;
    const img = readFileSync(raw);
    const frames: Buffer[] = [];
    for (let at = 0; at < img.length; at += 4 * MiB) frames.push(execFileSync(tool('zstd'), ['-q', '-1', '-c'], { input: img.subarray(at, at + 4 * MiB), maxBuffer: 64 * MiB }));
    writeFileSync(file, Buffer.concat(frames));
    expect(sh('zstd', ['-l', file])).toMatch(/^\s+12\s+0\s/m);
    const dev = fillRandom(loops.create('img-zframes', 128 * MiB), 128 * MiB);
    expect(await write(file, dev)).toContain('pzstd');
    expect(hashDevice(dev, 0, IMAGE_BYTES)).toBe(sha256(raw));
  });

  it('keeps a single-frame zstd image (what zstd -T0 writes) with zstd, byte for byte', async () => {
    const file = `${raw}.t0.zst`;
    sh('zstd', ['-q', '-1', '-T0', raw, '-o', file]);
    expect(sh('zstd', ['-l', file])).toMatch(/^\s+1\s+0\s/m);
    const dev = fillRandom(loops.create('img-zsingle', 128 * MiB), 128 * MiB);
    const ran = await write(file, dev);
    expect(ran).toContain('zstd');
    expect(ran).not.toContain('pzstd');
    expect(hashDevice(dev, 0, IMAGE_BYTES)).toBe(sha256(raw));
  });

  it('writes a multi-block xz image (xz -T0 writes blocks that xz --threads=0 decodes side by side), byte for byte', async () => {
    const file = `${raw}.blocks.xz`;
    writeFileSync(file, execFileSync(tool('xz'), ['-q', '-1', '-T0', '--block-size=4MiB', '-c', raw], { maxBuffer: 128 * MiB }));
    expect(Number(/^file\t\d+\t(\d+)/m.exec(sh('xz', ['--robot', '-l', file]))?.[1])).toBeGreaterThan(1); // the blocks
    const dev = fillRandom(loops.create('img-xzblocks', 128 * MiB), 128 * MiB);
    expect(await write(file, dev)).toContain('xz');
    expect(hashDevice(dev, 0, IMAGE_BYTES)).toBe(sha256(raw));
  });
});
