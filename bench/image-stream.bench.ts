/**
 * Image streaming into a loop device: Anvil's pipeline (download → hash → decompress → device, first MiB
 * held back) against `curl -s URL | <decompressor> -dc | dd of=DEV bs=4M conv=fsync`, measured in the same
 * run, on the same image and the same target. Prints each ratio (baseline time / Anvil time; ≥ 1 means
 * Anvil is as fast). Targets: ≥ 0.95 with checksum off, ≥ 0.90 with sha256 on.
 * Then the peak RSS of the agent writing a qcow2 image several times larger than the 150 MB target.
 * Needs root (loop devices). Run: npm run bench
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { devicePipes, silentLogger, type ImageT } from '@anvil/shared';
import { SystemRunner } from '../agent/src/system/runner';
import { streamImageToDevice, type PipeLookup } from '../agent/src/image/pipeline';
import { pipeLookup } from '../agent/src/execute/commands';
import { systemImageIo } from '../agent/src/execute/image-io';
import { bundleAgent } from '../agent/src/build/bundle';

const MiB = 1024 * 1024;
const IMAGE_MIB = Number(process.env.BENCH_IMAGE_MIB ?? 512);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-'));
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/** Disk-image-like content: runs of zeros, text-like data and incompressible blocks. */
function makeImage(path: string): void {
  writeFileSync(path, '');
  const fd = openSync(path, 'r+');
  const text = Buffer.from('anvil '.repeat(200_000)).subarray(0, MiB);
  for (let i = 0; i < IMAGE_MIB; i++) {
    const kind = i % 4;
    const block = kind === 0 ? randomBytes(MiB) : kind === 1 ? text : Buffer.alloc(MiB);
    writeSync(fd, block, 0, MiB, i * MiB);
  }
  closeSync(fd);
}

async function startServer(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'serve.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(l))));
  return { port, stop: () => child.kill('SIGTERM') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Times one run. Every run starts from the same state: dirty pages left by the previous run (of either
 * side) are flushed first, so no run pays for another's writeback.
 */
async function time(fn: () => Promise<void> | void): Promise<number> {
  spawnSync('sync');
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the image benchmark needs root (loop devices)');
  if (process.env.BENCH_ONLY === 'qcow2') {
    await qcow2Rss();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const raw = join(dir, 'image.raw');
  makeImage(raw);
  sh('gzip', ['-k', '-1', raw]);
  sh('zstd', ['-q', '-3', '-T0', raw, '-o', `${raw}.zst`]);
  sh('xz', ['-k', '-1', '-T0', raw]);
  const target = join(dir, 'target.img');
  writeFileSync(target, '');
  sh('truncate', ['-s', String((IMAGE_MIB + 64) * MiB), target]);
  const dev = sh('losetup', ['--find', '--show', target]).trim();
  // Held open for the whole run, so the kernel keeps the device's page cache between runs. Without it, the
  // last close of the device drops its cache, and on a VM whose freed pages go back to the host (virtio-balloon
  // free page reporting, as here) whichever side next touches fresh pages pays for it: measured as 0.3–1 s of
  // extra system time on a 0.8 s run, landing on one side or the other by timing. Both sides get the same cache.
  const holder = openSync(dev, 'r');
  const server = await startServer();
  const runner = new SystemRunner(silentLogger());
  const log = silentLogger();
  const rows: string[] = [];
  try {
    for (const [ext, kind, tool] of ([['', 'raw', undefined], ['.gz', 'gzip', 'gzip'], ['.zst', 'zstd', 'zstd'], ['.xz', 'xz', 'xz']] as const).filter(([, k]) => !process.env.BENCH_KINDS || process.env.BENCH_KINDS.split(',').includes(k))) {
      const url = `http://127.0.0.1:${server.port}/image.raw${ext}`;
      const sum = createHash('sha256').update(readFileSync(`${raw}${ext}`)).digest('hex');
      const base: number[] = [];
      const off: number[] = [];
      const on: number[] = [];
      const pipe = `curl -s ${url} ${tool ? `| ${tool} -dc ` : ''}| dd of=${dev} bs=4M conv=fsync status=none`;
      // The stream processes the agent may run, as the compiler declares them on the write_image action.
      const pipes = (im: ImageT): PipeLookup => pipeLookup({ kind: 'write_image', id: im.id, pipes: devicePipes(im, dev) }, { firmware: 'bios', ...systemImageIo.machine });
      const image = (checksum: string | undefined): ImageT => ({ id: 'b', source: { url }, format: 'raw', target: { disk: 'd' }, ...(checksum ? { checksum } : {}) });
      const runs: [number[], () => Promise<void>][] = [
        [base, () => Promise.resolve(void spawnSync('bash', ['-o', 'pipefail', '-c', pipe], { stdio: 'inherit' }))],
        [off, async () => void (await streamImageToDevice(image(undefined), dev, { log, runner, pipe: pipes(image(undefined)) }))],
        [on, async () => void (await streamImageToDevice(image(`sha256:${sum}`), dev, { log, runner, pipe: pipes(image(undefined)) }))],
      ];
      for (const [, fn] of runs) await fn(); // warm-up of each side (page cache of the served file, the device, the JIT), not counted
      for (let r = 0; r < RUNS; r++) {
        // The order rotates, so no side always runs first or right after the same other one.
        for (let i = 0; i < runs.length; i++) {
          const [into, fn] = runs[(i + r) % runs.length]!;
          into.push(await time(fn));
        }
      }
      const b = median(base);
      rows.push(
        `${kind.padEnd(5)} baseline ${b.toFixed(2)} s (${(IMAGE_MIB / b).toFixed(0)} MiB/s)  anvil ${median(off).toFixed(2)} s → ratio ${(b / median(off)).toFixed(2)}  ` +
          `with sha256 ${median(on).toFixed(2)} s → ratio ${(b / median(on)).toFixed(2)}`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    server.stop();
    closeSync(holder);
    sh('losetup', ['--detach', dev]);
  }
  if (process.env.BENCH_ONLY !== 'stream') await qcow2Rss();
  rmSync(dir, { recursive: true, force: true });
}

/** Peak RSS of `anvil provision` (the larger of it and qemu-img under it) writing a qcow2 image of ~1.3 GiB of data. */
async function qcow2Rss(): Promise<void> {
  const big = join(dir, 'big.raw');
  writeFileSync(big, '');
  sh('truncate', ['-s', String(2048 * MiB), big]);
  const fd = openSync(big, 'r+');
  for (let i = 0; i < 2048; i += 3) writeSync(fd, randomBytes(2 * MiB), 0, 2 * MiB, i * MiB);
  closeSync(fd);
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', big, `${big}.qcow2`]);
  rmSync(big);
  const qsize = Number(sh('stat', ['-c', '%s', `${big}.qcow2`]).trim());
  const target = join(dir, 'qtarget.img');
  writeFileSync(target, '');
  sh('truncate', ['-s', String(2112 * MiB), target]);
  const dev = sh('losetup', ['--find', '--show', target]).trim();
  const server = await startServer();
  try {
    const sum = createHash('sha256').update(readFileSync(`${big}.qcow2`)).digest('hex');
    const plan = join(dir, 'q.json');
    writeFileSync(plan, JSON.stringify({ version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'q', source: { url: `http://127.0.0.1:${server.port}/big.raw.qcow2` }, checksum: `sha256:${sum}`, format: 'qcow2', target: { disk: 'd' } }] }));
    // The agent as the ramdisk runs it: the esbuild bundle, with the bins' V8 flag (BENCH_AGENT for another build).
    const bin = process.env.BENCH_AGENT ?? join(dir, 'anvil.cjs');
    if (!process.env.BENCH_AGENT) bundleAgent(bin);
    const t0 = Date.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--max-semi-space-size=1', bin, 'provision', '--plan', plan, '--include-loop', '--only-disks', dev, '--state', join(dir, 'q.state'), '--progress', 'none', '--log-level', 'error', '--firmware', 'bios'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`qcow2 provision failed: ${r.stderr}`);
    const kb = Number(r.stderr.trim().split('\n').pop());
    console.log(`qcow2 ${(qsize / MiB).toFixed(0)} MiB file, 2 GiB virtual (~1.4 GiB of data) in ${((Date.now() - t0) / 1000).toFixed(1)} s: peak RSS ${(kb / 1024).toFixed(0)} MiB (target < 150 MB)`);
  } finally {
    server.stop();
    sh('losetup', ['--detach', dev]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
