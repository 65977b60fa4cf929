/**
 * Image streaming into a loop device: Anvil's pipeline (download → hash → decompress → device, first MiB
 * held back) against `curl -s URL | <decompressor> -dc | dd of=DEV bs=4M conv=fsync`, measured in the same
 * run, on the same image and the same target. Prints each ratio (baseline time / Anvil time; ≥ 1 means
 * Anvil is as fast). Targets: ≥ 0.95 with checksum off, ≥ 0.90 with sha256 on.
 * Then multi-frame zstd against one frame (≥ 1.6×), a raw image of 70 % zeros onto a target that zeroes for
 * free (≥ 2× `curl | dd`), and qcow2 (below). BENCH_KINDS=raw,gzip,zstd,xz,frames,zeros picks rows.
 * Runs with the agent's Node flags (package.json: --max-semi-space-size=1 --single-threaded-gc), since the
 * stream rows measure the agent in this process. Needs root (loop devices). Run: npm run bench
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { devicePipes, imageZeroCommand, silentLogger, type ImageT } from '@anvil/shared';
import { SystemRunner } from '../agent/src/system/runner';
import { convertWithQemuImg, streamImageToDevice, type PipeLookup } from '../agent/src/image/pipeline';
import { fillCommand, pipeLookup } from '../agent/src/execute/commands';
import { offloadsWriteZeroes } from '../agent/src/execute/conditions';
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
    await qcow2Bench();
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
      figure(`${kind.padEnd(5)} baseline ${b.toFixed(2)} s (${(IMAGE_MIB / b).toFixed(0)} MiB/s), anvil ${median(off).toFixed(2)} s`, b / median(off), 0.95);
      figure(`${kind.padEnd(5)} baseline ${b.toFixed(2)} s, anvil with sha256 ${median(on).toFixed(2)} s`, b / median(on), 0.9);
    }
    if (!process.env.BENCH_KINDS || process.env.BENCH_KINDS.split(',').includes('frames')) await zstdFrames(server.port, dev, runner);
    if (!process.env.BENCH_KINDS || process.env.BENCH_KINDS.split(',').includes('zeros')) await zeroSkipping(server.port, dev, runner);
  } finally {
    server.stop();
    closeSync(holder);
    sh('losetup', ['--detach', dev]);
  }
  if (process.env.BENCH_ONLY !== 'stream') await qcow2Bench();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Text-like content that costs zstd real work to decode (literals through Huffman tables, short matches):
 * words from a vocabulary with numbers between them, as logs, sources and package metadata are. The main
 * image's content decodes at several GB/s (stored random blocks, zero runs), where no decoder is the bottleneck.
 */
function makeTextImage(path: string): void {
  const words = Array.from({ length: 4096 }, (_, i) => createHash('sha1').update(String(i)).digest('base64').slice(0, 3 + (i % 9)).replace(/[+/]/g, 'e'));
  let seed = 0x2545f491;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < IMAGE_MIB; i++) {
    let at = 0;
    while (at < MiB - 32) {
      const r = next();
      at += block.write(r % 7 === 0 ? `${r % 100000} ` : `${words[r >>> 20]!}${r % 13 === 0 ? '\n' : ' '}`, at, 'latin1');
    }
    block.fill(0x20, at);
    writeSync(fd, block, 0, MiB, i * MiB);
  }
  closeSync(fd);
}

/**
 * Multi-frame zstd on every core: the same decode-heavy content as one frame (`zstd -T0`: its threads still
 * write one frame) and as pzstd's frames, both through Anvil onto the device, with sha256. Target: the
 * multi-frame image ≥ 1.6× as fast. The tools on their own (to /dev/null) and `curl | pzstd -dc | dd` are
 * printed for context; the device's content is checked after the multi-frame run.
 */
async function zstdFrames(port: number, dev: string, runner: SystemRunner): Promise<void> {
  const text = join(dir, 'text.raw');
  makeTextImage(text);
  sh('zstd', ['-q', '-3', '-T0', text, '-o', `${text}.zst`]);
  sh('pzstd', ['-q', '-3', '-p', '2', text, '-o', `${text}.pz.zst`]);
  const frames = (f: string): string => /^\s*(\d+)\s/m.exec(sh('zstd', ['-l', f]).split('\n')[1] ?? '')?.[1] ?? '?';
  const run = (file: string) => {
    const url = `http://127.0.0.1:${port}/${file}`;
    const im: ImageT = { id: 'f', source: { url }, checksum: `sha256:${createHash('sha256').update(readFileSync(join(dir, file))).digest('hex')}`, format: 'raw', target: { disk: 'd' } };
    const pipe = pipeLookup({ kind: 'write_image', id: 'f', pipes: devicePipes(im, dev) }, { firmware: 'bios', ...systemImageIo.machine });
    return async (): Promise<void> => void (await streamImageToDevice(im, dev, { log: silentLogger(), runner, pipe }));
  };
  const single = run('text.raw.zst');
  const multi = run('text.raw.pz.zst');
  const tool = (cmd: string) => () => void spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { stdio: 'inherit' });
  const tools = {
    'zstd -dc > /dev/null (one frame)': tool(`zstd -dcq ${text}.zst > /dev/null`),
    'pzstd -dc > /dev/null (frames)': tool(`pzstd -dcq ${text}.pz.zst > /dev/null`),
    'curl | zstd -dc | dd (one frame)': tool(`curl -s http://127.0.0.1:${port}/text.raw.zst | zstd -dcq | dd of=${dev} bs=4M conv=fsync status=none`),
    'curl | pzstd -dc | dd (frames)': tool(`curl -s http://127.0.0.1:${port}/text.raw.pz.zst | pzstd -dcq | dd of=${dev} bs=4M conv=fsync status=none`),
  };
  await single();
  await multi();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const order: Array<[number[], () => Promise<void>]> = r % 2 === 0 ? [[a, single], [b, multi]] : [[b, multi], [a, single]];
    for (const [into, fn] of order) into.push(await time(fn));
  }
  const got = createHash('sha256');
  const rfd = openSync(dev, 'r');
  const buf = Buffer.alloc(4 * MiB);
  for (let at = 0; at < IMAGE_MIB * MiB; at += buf.length) got.update(buf.subarray(0, readSync(rfd, buf, 0, buf.length, at)));
  closeSync(rfd);
  if (got.digest('hex') !== createHash('sha256').update(readFileSync(text)).digest('hex')) throw new Error('the multi-frame zstd write left content other than the image on the device');
  const took = Object.fromEntries(Object.entries(tools).map(([what, fn]) => [what, median([0, 1, 2].map(() => (spawnSync('sync'), timeSync(fn))))]));
  console.log(`zstd frames: ${(statSync(`${text}.zst`).size / MiB).toFixed(0)} MiB in ${frames(`${text}.zst`)} frame(s) vs ${(statSync(`${text}.pz.zst`).size / MiB).toFixed(0)} MiB in ${frames(`${text}.pz.zst`)}; ${Object.entries(took).map(([w, t]) => `${w} ${t.toFixed(2)} s`).join('; ')}`);
  // The decoders alone (the declared zstd and pzstd), then the whole write, where the download, the hash and
  // dd share the same cores.
  figure(`zstd multi-frame decode on ${availableParallelism()} cores (pzstd vs zstd, to /dev/null)`, took['zstd -dc > /dev/null (one frame)']! / took['pzstd -dc > /dev/null (frames)']!, 1.6);
  figure(`zstd multi-frame on ${availableParallelism()} cores: one frame ${median(a).toFixed(2)} s, frames ${median(b).toFixed(2)} s (anvil with sha256, ${IMAGE_MIB} MiB of text-like data, content checked)`, median(a) / median(b), 1.6);
}

function timeSync(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * A raw image that is 70 % zeros onto a target that zeroes for free (a loop device: write-zeroes offloaded to
 * fallocate), with sha256: the agent zeroes the extent with the action's own `blkdiscard --zeroout` and skips
 * zero blocks, against `curl | dd` writing every byte. Target ≥ 2×. The device's content is checked after.
 */
async function zeroSkipping(port: number, dev: string, runner: SystemRunner): Promise<void> {
  const file = join(dir, 'zeros70.raw');
  writeFileSync(file, '');
  const fd = openSync(file, 'r+');
  for (let i = 0; i < IMAGE_MIB; i++) writeSync(fd, i % 10 < 3 ? randomBytes(MiB) : Buffer.alloc(MiB), 0, MiB, i * MiB);
  closeSync(fd);
  if (!offloadsWriteZeroes(dev)) throw new Error(`${dev} does not offload write-zeroes; the zero-skipping figure needs a target that does`);
  const url = `http://127.0.0.1:${port}/zeros70.raw`;
  const sum = createHash('sha256').update(readFileSync(file)).digest('hex');
  const im: ImageT = { id: 'z', source: { url }, checksum: `sha256:${sum}`, format: 'raw', target: { disk: 'd' } };
  const pipe = pipeLookup({ kind: 'write_image', id: 'z', pipes: devicePipes(im, dev) }, { firmware: 'bios', ...systemImageIo.machine });
  const zero = imageZeroCommand(dev);
  const zeroTarget = async (length: number): Promise<number> => {
    const bytes = Math.floor(length / 4096) * 4096;
    await runner.run(fillCommand(zero, { length: bytes }).argv);
    return bytes;
  };
  const base: number[] = [];
  const anvil: number[] = [];
  const dd = (): void => void spawnSync('bash', ['-o', 'pipefail', '-c', `curl -s ${url} | dd of=${dev} bs=4M conv=fsync status=none`], { stdio: 'inherit' });
  const ours = async (): Promise<void> => void (await streamImageToDevice(im, dev, { log: silentLogger(), runner, pipe, zeroTarget }));
  // Each run starts on the same target: zeroed, its file's blocks released (see qcow2Bench).
  const fresh = (): void => void spawnSync('blkdiscard', ['--zeroout', '--force', dev]);
  dd();
  await ours();
  for (let r = 0; r < RUNS; r++) {
    const order: Array<[number[], () => Promise<void> | void]> = r % 2 === 0 ? [[base, dd], [anvil, ours]] : [[anvil, ours], [base, dd]];
    for (const [into, fn] of order) {
      fresh();
      into.push(await time(fn));
    }
  }
  const got = createHash('sha256');
  const rfd = openSync(dev, 'r');
  const buf = Buffer.alloc(4 * MiB);
  for (let at = 0; at < IMAGE_MIB * MiB; at += buf.length) got.update(buf.subarray(0, readSync(rfd, buf, 0, buf.length, at)));
  closeSync(rfd);
  if (got.digest('hex') !== sum) throw new Error('the zero-skipping write left content other than the image on the device');
  figure(`raw 70 % zeros onto a zero-reading target: curl | dd ${median(base).toFixed(2)} s, anvil with sha256 ${median(anvil).toFixed(2)} s (content checked)`, median(base) / median(anvil), 2);
}

/**
 * qcow2: a 4 GiB virtual disk holding 1.5 GiB of data, written by the agent as the ramdisk runs it (the esbuild
 * bundle, `anvil provision`, the one-pass streamer) over HTTP from a server that closes idle keep-alive
 * connections (Node's 5 s), BENCH_QCOW2_RUNS times in a row (20): median time against `qemu-img convert` of the
 * same file from local disk onto the same device, peak RSS, stalls, and how many times the file was downloaded.
 * Then the previous path once (hash pass + qemu-img over HTTP, 30 s stall watchdog), for comparison.
 */
async function qcow2Bench(): Promise<void> {
  const VIRTUAL_MIB = 4096;
  const big = join(dir, 'big.raw');
  writeFileSync(big, '');
  sh('truncate', ['-s', String(VIRTUAL_MIB * MiB), big]);
  const fd = openSync(big, 'r+');
  // 2 MiB of random data every 16/3 MiB: 1.5 GiB of data over the 4 GiB.
  let data = 0;
  for (let at = 0; at + 2 * MiB <= VIRTUAL_MIB * MiB && data < 1536 * MiB; at += Math.round((16 / 3) * MiB / 65536) * 65536, data += 2 * MiB) writeSync(fd, randomBytes(2 * MiB), 0, 2 * MiB, at);
  closeSync(fd);
  const qcow2 = join(dir, 'big.qcow2');
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', big, qcow2]);
  rmSync(big);
  const qsize = Number(sh('stat', ['-c', '%s', qcow2]).trim());
  sh('ln', ['-f', qcow2, join(dir, 'big-curl.qcow2')]);
  const target = join(dir, 'qtarget.img');
  writeFileSync(target, '');
  sh('truncate', ['-s', String((VIRTUAL_MIB + 64) * MiB), target]);
  const dev = sh('losetup', ['--find', '--show', target]).trim();
  const holder = openSync(dev, 'r');
  const server = await startServer();
  const runs = Number(process.env.BENCH_QCOW2_RUNS ?? 20);
  try {
    const sum = createHash('sha256').update(readFileSync(qcow2)).digest('hex');
    const url = `http://127.0.0.1:${server.port}/big.qcow2`;
    const plan = join(dir, 'q.json');
    writeFileSync(plan, JSON.stringify({ version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'q', source: { url }, checksum: `sha256:${sum}`, format: 'qcow2', target: { disk: 'd' } }] }));
    // The agent as the ramdisk runs it: the esbuild bundle, with the bins' V8 flag (BENCH_AGENT for another build).
    const bin = process.env.BENCH_AGENT ?? join(dir, 'anvil.cjs');
    if (!process.env.BENCH_AGENT) bundleAgent(bin);
    const local: number[] = [];
    const anvil: number[] = [];
    const transfer: number[] = [];
    let peakKb = 0;
    let stalls = 0;
    const qemuLocal = (): void => void sh('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', '-t', 'none', '-W', qcow2, dev]);
    const provision = (): void => {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--max-semi-space-size=1', '--single-threaded-gc', bin, 'provision', '--plan', plan, '--include-loop', '--only-disks', dev, '--state', join(dir, 'q.state'), '--progress', 'none', '--log-level', 'error', '--firmware', 'bios'], { encoding: 'utf8' });
      if (r.status !== 0) {
        if (/stall|timed out|download_failed/.test(r.stderr)) stalls++;
        else throw new Error(`qcow2 provision failed: ${r.stderr}`);
      }
      peakKb = Math.max(peakKb, Number(r.stderr.trim().split('\n').pop()) || 0);
    };
    // Every run, of either side, starts on a target that reads zeros and holds nothing: a loop device's file
    // allocates blocks on first write, and a side that rewrote the blocks of the run before would not pay for it.
    const fresh = (): void => void sh('blkdiscard', ['--zeroout', '--force', dev]);
    qemuLocal(); // warm-up: the file in the page cache for both sides
    const statsBefore = await serverStats(server.port);
    for (let r = 0; r < runs; r++) {
      if (r % 4 === 0) {
        fresh();
        local.push(await time(qemuLocal)); // the baseline, between the agent's runs
        // The download alone, for context: on loopback with two cores it is already about the baseline's time.
        // (under another name, so that the agent's downloads are counted alone)
        transfer.push(await time(() => void spawnSync('curl', ['-s', '-o', '/dev/null', `${url.replace(/big\.qcow2$/, 'big-curl.qcow2')}`])));
      }
      fresh();
      anvil.push(await time(provision));
    }
    const st = (await serverStats(server.port))['/big.qcow2'] ?? { full: 0, range: 0, bytes: 0 };
    const prev = statsBefore['/big.qcow2'] ?? { full: 0, range: 0, bytes: 0 };
    const full = st.full - prev.full;
    const perRun = (st.bytes - prev.bytes) / runs;
    const ratio = median(local) / median(anvil);
    figure(`qcow2 ${(qsize / MiB).toFixed(0)} MiB file, ${VIRTUAL_MIB / 1024} GiB virtual, ${(data / MiB).toFixed(0)} MiB data: qemu-img convert from local disk ${median(local).toFixed(2)} s, anvil over HTTP ${median(anvil).toFixed(2)} s (median of ${runs})`, ratio, 0.8);
    console.log(`qcow2 context: the download alone (curl -o /dev/null) ${median(transfer).toFixed(2)} s; anvil takes ${(median(anvil) / median(transfer)).toFixed(2)}× that`);
    console.log(`qcow2 downloads: ${full} whole-file GETs in ${runs} runs, ${(perRun / MiB).toFixed(1)} MiB sent per run for a ${(qsize / MiB).toFixed(1)} MiB file (target: one download) ${full === runs && perRun < qsize * 1.01 ? 'PASS' : 'FAIL'}`);
    console.log(`qcow2 stalls: ${stalls} in ${runs} runs in a row (target 0) ${stalls === 0 ? 'PASS' : 'FAIL'}`);
    console.log(`qcow2 peak RSS of the agent: ${(peakKb / 1024).toFixed(0)} MiB (target < 150 MB) ${peakKb * 1024 < 150e6 ? 'PASS' : 'FAIL'}`);
    if (process.env.BENCH_QCOW2_OLD !== '0') {
      // The previous path, once: a hashing pass, then qemu-img's curl driver (the fallback for what the streamer refuses).
      process.env.ANVIL_QCOW2_STALL_SECONDS = '30';
      const runner = new SystemRunner(silentLogger());
      const im: ImageT = { id: 'q', source: { url }, checksum: `sha256:${sum}`, format: 'qcow2', target: { disk: 'd' } };
      const pipe = pipeLookup({ kind: 'write_image', id: 'q', pipes: devicePipes(im, dev) }, { firmware: 'bios', ...systemImageIo.machine });
      let old: string;
      try {
        old = `${(await time(() => convertWithQemuImg(im, dev, { log: silentLogger(), runner, pipe }))).toFixed(2)} s`;
      } catch (err) {
        old = `failed: ${(err as { code?: string }).code ?? String(err)}`;
      } finally {
        delete process.env.ANVIL_QCOW2_STALL_SECONDS;
      }
      console.log(`qcow2 previous path (sha256 pass + qemu-img over HTTP): ${old}; the streamer ${median(anvil).toFixed(2)} s`);
    }
  } finally {
    server.stop();
    closeSync(holder);
    sh('losetup', ['--detach', dev]);
  }
}

async function serverStats(port: number): Promise<Record<string, { full: number; range: number; bytes: number }>> {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return (await res.json()) as Record<string, { full: number; range: number; bytes: number }>;
}

/** One figure of the issue's table: what was measured, its ratio, its target, PASS or FAIL. */
function figure(what: string, ratio: number, target: number): void {
  console.log(`${what} → ratio ${ratio.toFixed(2)} (target ≥ ${target}) ${ratio >= target ? 'PASS' : 'FAIL'}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
