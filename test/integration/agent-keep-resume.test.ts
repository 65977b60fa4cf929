import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { FileServer } from '../helpers/http-server';
import { blkid, hashDevice, LoopDisks } from '../helpers/loop';
import { runProvision } from '../helpers/provision';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const loops = new LoopDisks();
const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });
afterAll(() => loops.cleanup());

const layout = (dev: string, rootSize: string, keepSrv: boolean, policy: 'clean' | 'verify', deployment: string): Record<string, unknown> => ({
  version: 1,
  metadata: { deployment_id: deployment },
  ...(policy === 'verify' ? { policy: { data: 'verify' } } : {}),
  disks: [{ id: 'd', select: { name: dev }, partitions: [{ id: 'bios', size: '1MiB', type: 'bios_grub' }, { id: 'root', size: rootSize }, { id: 'srv', size: 'remaining' }] }],
  filesystems: [
    { id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } },
    { id: 'fs-srv', device: 'srv', type: 'xfs', mount: { path: '/srv' }, ...(keepSrv ? { keep: true } : {}) },
  ],
});

describe('agent: keep and verify', () => {
  let dev: string;
  let srvHash: string;
  let rootUuid: string;

  beforeAll(async () => {
    dev = loops.create('keep', 1024 * MiB);
    const first = await runProvision(layout(dev, '300MiB', false, 'clean', 'deploy-1'), [dev]);
    expect(first.error).toBeUndefined();
    const mp = join(loops.dir, 'srv');
    mkdirSync(mp, { recursive: true });
    sh('mount', [`${dev}p3`, mp]);
    writeFileSync(join(mp, 'precious.bin'), Buffer.alloc(8 * MiB, 7));
    sh('umount', [mp]);
    srvHash = hashDevice(`${dev}p3`);
    rootUuid = blkid(`${dev}p2`).UUID!;
  });

  it('refuses a layout that does not match, before touching anything', async () => {
    const rootHash = hashDevice(`${dev}p2`);
    const r = await runProvision(layout(dev, '400MiB', true, 'verify', 'deploy-2'), [dev]);
    expect(r.error?.code).toBe('verify.layout_mismatch');
    expect(r.error?.message).toContain('partition 2 spans sectors');
    expect(hashDevice(`${dev}p3`)).toBe(srvHash);
    expect(hashDevice(`${dev}p2`)).toBe(rootHash);
  });

  it('recreates what is not kept and leaves the kept filesystem byte-identical', async () => {
    const r = await runProvision(layout(dev, '300MiB', true, 'verify', 'deploy-3'), [dev]);
    expect(r.error).toBeUndefined();
    expect(hashDevice(`${dev}p3`)).toBe(srvHash);
    expect(blkid(`${dev}p2`).UUID).not.toBe(rootUuid);
    const kinds = r.events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => (e.type === 'stage' ? e.kind : ''));
    expect(kinds).not.toContain('wipe');
    expect(kinds).not.toContain('create_partition');
    const mp = join(loops.dir, 'root');
    mkdirSync(mp, { recursive: true });
    sh('mount', ['-o', 'ro', `${dev}p2`, mp]);
    try {
      expect(readFileSync(join(mp, 'etc/fstab'), 'utf8')).toContain(`UUID=${blkid(`${dev}p3`).UUID} /srv xfs`);
    } finally {
      sh('umount', [mp]);
    }
  });
});

describe('agent: teardown of a disk in use', () => {
  it('unmounts and swaps off what lives on a named disk before partitioning it', async () => {
    const dev = loops.create('busy', 512 * MiB);
    sh('sgdisk', ['--new=1:2048:+100M', '--new=2:0:+64M', dev]);
    sh('partprobe', [dev]);
    for (let i = 0; i < 50 && !blkid(`${dev}p2`).PART_ENTRY_NUMBER; i++) execFileSync('sleep', ['0.1']);
    sh('mkfs.ext4', ['-q', '-F', `${dev}p1`]);
    sh('mkswap', [`${dev}p2`]);
    const mp = join(loops.dir, 'busy-mnt');
    mkdirSync(mp, { recursive: true });
    sh('mount', [`${dev}p1`, mp]);
    sh('swapon', [`${dev}p2`]);
    const r = await runProvision({ version: 1, disks: [{ id: 'd', select: { name: dev }, partitions: [{ id: 'p', size: 'remaining' }] }], filesystems: [{ id: 'f', device: 'p', type: 'ext4', mount: { path: '/' } }] }, [dev]);
    expect(r.error).toBeUndefined();
    expect(readFileSync('/proc/swaps', 'utf8')).not.toContain(`${dev}p2`);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(mp);
    expect(blkid(`${dev}p1`).TYPE).toBe('ext4');
    expect(blkid(`${dev}p2`).TYPE).toBeUndefined();
  });
});

describe('agent: --resume after the run was killed', () => {
  const server = new FileServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('continues where it stopped and skips what was done', async () => {
    const dev = loops.create('resume', 512 * MiB);
    const image = join(loops.dir, 'slow.img');
    writeFileSync(image, Buffer.alloc(24 * MiB, 1));
    sh('sgdisk', ['--new=1:2048:+20M', image]);
    const sum = createHash('sha256').update(readFileSync(image)).digest('hex');
    const url = server.add('/slow.img', image, { rateBps: 4 * MiB });
    const planFile = join(loops.dir, 'resume-plan.json');
    writeFileSync(planFile, JSON.stringify({ version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { url }, checksum: `sha256:${sum}`, target: { disk: 'd' } }] }));
    const state = join(loops.dir, 'resume-state.json');
    const bin = join(__dirname, '../../agent/bin/anvil.cjs');
    const args = ['provision', '--plan', planFile, '--include-loop', '--only-disks', dev, '--state', state, '--target-root', join(loops.dir, 'rt'), '--progress', 'json', '--firmware', 'bios'];

    // First run: killed with SIGKILL once the image is being written.
    const first = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress event in 60 s: ${seen.join(' ')}`)), 60_000);
      createInterface({ input: first.stdout }).on('line', (line) => {
        const e = JSON.parse(line) as { type: string; bytes?: number };
        seen.push(e.type);
        if (e.type === 'progress' && (e.bytes ?? 0) > 2 * MiB) {
          clearTimeout(timer);
          first.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => first.on('close', r));
    const done = (JSON.parse(readFileSync(state, 'utf8')) as { done: number[] }).done;
    expect(done).toEqual([1, 2]); // teardown and wipe finished; the image did not
    expect(blkid(dev).PTTYPE).toBeUndefined();

    // Second run with --resume: finishes, skipping what is recorded as done.
    // (async: the image server lives in this process and must keep answering)
    const { stdout: out } = await promisify(execFile)(process.execPath, [bin, ...args, '--resume'], { encoding: 'utf8' });
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; kind?: string; result?: string });
    expect(events.filter((e) => e.type === 'stage' && e.result === 'skipped').map((e) => e.kind)).toEqual(['teardown', 'wipe']);
    expect(events.at(-1)).toMatchObject({ type: 'done', result: 'ok' });
    expect(blkid(dev).PTTYPE).toBe('gpt');
  });
});
