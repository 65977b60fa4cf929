import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AnvilError, BOOTSTRAP_FILES } from '@anvil/shared';
import { toolExists, type Runner } from '../../system/runner';
import { sha256File, stageAgentFiles } from './agent-files';
import { aptPreferences, effectiveRepos } from './apt';
import { imagePackages, REQUIRED_MODULES } from './contents';
import { archiveFiles, buildMetadata, fileDigest, metadataYaml, recordedOptions } from './metadata';
import type { BuildOptionsT } from './options';
import { packArchive, packInitramfs, packSquashfs } from './pack';
import { probeRepos } from './probe';
import { BuildProgress, type ProgressSink } from './progress';
import { customizeScript, MARK, mmdebstrapArgv } from './rootfs';

/** Programs the build runs on this host (scripts/setup-host.sh installs them: BUILD_TOOLS in the tools table). */
export const HOST_BUILD_TOOLS = ['mmdebstrap', 'mksquashfs', 'cpio', 'zstd', 'curl', 'tar', 'modprobe'] as const;

export interface BuildDeps {
  readonly runner: Runner;
  readonly progress: ProgressSink;
  /** The Node.js binary to copy in (default: the one running the build) and its version. */
  readonly nodePath?: string;
  readonly nodeVersion?: string;
  /** A prebuilt agent bundle (default: bundled now). */
  readonly bundle?: string;
  readonly agentVersion?: string;
  readonly uuid?: string;
  readonly now?: () => Date;
}

export interface BuildResult {
  readonly uuid: string;
  readonly archive: string;
  readonly log: string;
  readonly seconds: number;
  readonly kernelVersion: string;
  readonly sizes: Record<string, number>;
}

function agentPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs mmdebstrap, its output to the log and through the progress display; rejects with the log's tail. */
async function runMmdebstrap(runner: Runner, argv: string[], log: string, progress: BuildProgress): Promise<void> {
  appendFileSync(log, `$ ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}\n`);
  const child = runner.spawn(argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onLine = (line: string): void => {
    appendFileSync(log, line + '\n');
    progress.onBuildLine(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  if (code === 0) return;
  const text = readFileSync(log, 'utf8');
  if (text.includes(MARK.scriptFailed)) throw new AnvilError('bootstrap.script_failed', `the --script failed inside the image; the build stopped and left nothing in the output directory. Its output is in ${log}:\n${tail(log)}`, { log });
  throw new AnvilError('bootstrap.build_failed', `mmdebstrap failed (exit ${code}) in stage ${progress.stage}; nothing was left in the output directory. Build log: ${log}\n${tail(log)}`, { log });
}

/** The kernel modules that must be present, by `modprobe --show-depends` against the image's module tree. */
async function verifyModules(runner: Runner, root: string, kver: string, flavor: BuildOptionsT['kernelFlavor'], log: string): Promise<string[]> {
  const missing: string[] = [];
  const missingHw: string[] = [];
  for (const [kind, mods] of Object.entries(REQUIRED_MODULES)) {
    for (const m of mods) {
      const r = await runner.run(['modprobe', '--dirname', root, '--set-version', kver, '--show-depends', m], { allowFail: true });
      if (r.failed) (kind === 'required' ? missing : missingHw).push(m);
    }
  }
  appendFileSync(log, `modules: missing required [${missing.join(' ')}], missing hardware [${missingHw.join(' ')}]\n`);
  if (missing.length || (missingHw.length && flavor !== 'cloud-amd64')) {
    throw new AnvilError('bootstrap.missing_module', `the image's kernel ${kver} lacks the module(s) ${[...missing, ...missingHw].join(', ')}; nothing was left in the output directory. Build log: ${log}`, { missing: [...missing, ...missingHw], log });
  }
  return missingHw;
}

/**
 * `anvil bootstrap build`: probes the repositories, assembles the root with mmdebstrap from Debian packages
 * (plus this host's node and the agent bundle), packs it in the chosen format and writes `<uuid>.tar.gz` in
 * the container format. Everything happens in `<output-dir>/.anvil-build-<uuid>/`, renamed into place at the
 * end; on any failure that directory is removed, and the log (`<output-dir>/anvil-bootstrap-<uuid>.log`) stays.
 */
export async function buildBootstrap(o: BuildOptionsT, deps: BuildDeps): Promise<BuildResult> {
  const t0 = Date.now();
  const { runner } = deps;
  const progress = new BuildProgress(deps.progress);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new AnvilError('bootstrap.not_root', 'anvil bootstrap build needs root (mmdebstrap --mode=root, chroot)');
  for (const t of HOST_BUILD_TOOLS) if (!toolExists(t)) throw new AnvilError('bootstrap.tool_missing', `${t} is not installed on this host (sudo npm run setup installs mmdebstrap, squashfs-tools, cpio, zstd, curl, kmod)`, { tool: t });
  for (const [flag, path] of [['--script', o.script], ['--inject-files-from', o.injectFilesFrom], ['--ssh-keys', o.sshKeys], ...o.caCerts.map((c) => ['--ca-cert', c])] as const) {
    if (path && !existsSync(path)) throw new AnvilError('bootstrap.bad_option', `${flag} ${path}: no such file or directory`);
  }
  if (o.injectFilesFrom && !statSync(o.injectFilesFrom).isDirectory()) throw new AnvilError('bootstrap.bad_option', `--inject-files-from ${o.injectFilesFrom}: not a directory`);

  const uuid = deps.uuid ?? randomUUID();
  const outDir = resolve(o.outputDir);
  mkdirSync(outDir, { recursive: true });
  const log = join(outDir, `anvil-bootstrap-${uuid}.log`);
  writeFileSync(log, `anvil bootstrap build ${uuid} started ${new Date().toISOString()}\n`);
  const repos = effectiveRepos(o);

  progress.setStage('probe', `${repos.length} repositories`);
  await probeRepos(runner, repos, o);

  const work = join(outDir, `.anvil-build-${uuid}`);
  mkdirSync(work);
  try {
    progress.setStage('stage-agent');
    const stage = join(work, 'stage');
    const staged = stageAgentFiles(stage, { nodePath: deps.nodePath ?? process.execPath, nodeVersion: deps.nodeVersion ?? process.version, caCerts: o.caCerts, sshKeys: o.sshKeys, ...(deps.bundle ? { bundle: deps.bundle } : {}) });
    const prefs = aptPreferences(repos);
    const preferencesPath = prefs ? join(work, 'anvil-bootstrap.pref') : undefined;
    if (preferencesPath) writeFileSync(preferencesPath, prefs);
    const customizePath = join(work, 'customize.sh');
    writeFileSync(customizePath, customizeScript({ stage, units: staged.units, withCa: o.caCerts.length > 0, injectFilesFrom: o.injectFilesFrom && resolve(o.injectFilesFrom), script: o.script && resolve(o.script), format: o.format }));
    const root = join(work, 'root');
    const packages = imagePackages(o);
    progress.setStage('mmdebstrap', `${packages.length} packages asked`);
    await runMmdebstrap(runner, mmdebstrapArgv({ options: o, repos, packages, root, customizeScriptPath: customizePath, preferencesPath }), log, progress);

    progress.setStage('verify');
    const kvers = readdirSync(join(root, 'lib/modules'));
    if (kvers.length !== 1) throw new AnvilError('bootstrap.build_failed', `expected one kernel in the image, found ${kvers.length} (${kvers.join(', ')}): pin one kernel package. Build log: ${log}`, { log });
    const kver = kvers[0]!;
    const missingHw = await verifyModules(runner, root, kver, o.kernelFlavor, log);
    const nodeCheck = await runner.run(['chroot', root, '/usr/local/bin/node', '--version'], { allowFail: true });
    if (nodeCheck.failed || nodeCheck.stdout.trim() !== staged.nodeVersion) throw new AnvilError('bootstrap.build_failed', `node does not run inside the image (${(nodeCheck.stderr || nodeCheck.stdout).trim()}). Build log: ${log}`, { log });

    const files = join(work, 'files');
    mkdirSync(files);
    const kernelSrc = join(root, 'boot', `vmlinuz-${kver}`);
    copyFileSync(kernelSrc, join(files, BOOTSTRAP_FILES.kernel));
    rmSync(kernelSrc);
    if (o.format === 'live') {
      renameSync(join(root, 'boot', `initrd.img-${kver}`), join(files, BOOTSTRAP_FILES.initramfs));
      progress.setStage('squashfs');
      await packSquashfs(runner, root, join(files, BOOTSTRAP_FILES.squashfs));
    } else {
      progress.setStage('pack', 'cpio | zstd');
      await packInitramfs(runner, root, join(files, BOOTSTRAP_FILES.initramfs));
    }
    progress.setStage('archive');
    const digests: Record<string, { sha256: string; size: number }> = {};
    for (const f of archiveFiles(o.format).slice(1)) digests[f] = await fileDigest(join(files, f));
    const metadata = buildMetadata({
      uuid,
      options: o,
      kernelVersion: kver,
      agentVersion: deps.agentVersion ?? agentPackageVersion(),
      nodeVersion: staged.nodeVersion,
      nodeSha256: staged.nodeSha256,
      files: digests,
      recorded: { ...recordedOptions(o, { script: o.script && sha256File(o.script), sshKeys: o.sshKeys && sha256File(o.sshKeys), caCerts: o.caCerts.map(sha256File) }), agent_bundle_sha256: staged.bundleSha256, ...(missingHw.length ? { kernel_lacks: missingHw } : {}) },
      builtAt: (deps.now ?? (() => new Date()))(),
    });
    writeFileSync(join(files, BOOTSTRAP_FILES.metadata), metadataYaml(metadata));
    const tmpArchive = join(work, `${uuid}.tar.gz`);
    await packArchive(runner, files, archiveFiles(o.format), tmpArchive);
    const archive = join(outDir, `${uuid}.tar.gz`);
    renameSync(tmpArchive, archive);
    const sizes = Object.fromEntries([...Object.entries(digests).map(([f, d]) => [f, d.size]), ['archive', statSync(archive).size]]);
    const seconds = (Date.now() - t0) / 1000;
    appendFileSync(log, `done in ${seconds.toFixed(0)} s: ${archive} ${JSON.stringify(sizes)}\n`);
    progress.finish({ uuid, archive, kernel_version: kver, sizes, seconds });
    return { uuid, archive, log, seconds, kernelVersion: kver, sizes };
  } catch (err) {
    appendFileSync(log, `FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof AnvilError) throw err;
    throw new AnvilError('bootstrap.build_failed', `the build failed: ${err instanceof Error ? err.message : String(err)}; nothing was left in the output directory. Build log: ${log}`, { log });
  } finally {
    removeWorkDir(work);
  }
}

/** Removes the build directory, unless something is still mounted in it (an interrupted mmdebstrap): never delete through a mount. */
function removeWorkDir(work: string): void {
  let mounted: string[] = [];
  try {
    mounted = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m === work || m.startsWith(`${work}/`));
  } catch {
    // no /proc/mounts: nothing to check
  }
  if (mounted.length) {
    process.stderr.write(`anvil bootstrap build: ${work} still has mounts (${mounted.join(', ')}); left in place: unmount them and remove it\n`);
    return;
  }
  rmSync(work, { recursive: true, force: true });
}
