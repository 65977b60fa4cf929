import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { BOOTSTRAP_FILES, BootstrapMetadata, createLogger, type BootstrapMetadataT } from '@anvil/shared';
import { bundleAgent } from '../../agent/src/build/bundle';
import { buildBootstrap } from '../../agent/src/bootstrap/build/build';
import { resolveBuildOptions, type BuildFlags } from '../../agent/src/bootstrap/build/options';
import { SystemRunner } from '../../agent/src/system/runner';

/**
 * Bootstrap images for the e2e suite, built once per set of inputs: the build options, the agent bundle, the
 * builder's own source and the node copied in. Cached under /var/tmp/anvil-bootstrap/<hash>/ (ANVIL_BOOTSTRAP_CACHE),
 * so a CI run builds each format once and a re-run with the same tree builds nothing.
 */
export const BOOTSTRAP_CACHE = process.env.ANVIL_BOOTSTRAP_CACHE ?? '/var/tmp/anvil-bootstrap';
const ROOT = join(__dirname, '../..');
const BUILDER_SOURCES = ['agent/src/bootstrap/build', 'agent/src/cli/bootstrap-build.ts'];

export interface BuiltBootstrap {
  readonly archive: string;
  /** The archive's files, extracted. */
  readonly files: { readonly linux: string; readonly initramfs: string; readonly squashfs?: string };
  readonly metadata: BootstrapMetadataT;
  /** The build's wall time (of the run that built it; a cached image keeps its figure). */
  readonly buildSeconds: number;
  readonly cached: boolean;
  readonly sizes: Record<string, number>;
}

function sourceText(rel: string): string {
  const p = join(ROOT, rel);
  if (rel.endsWith('.ts')) return readFileSync(p, 'utf8');
  return readdirSync(p).sort().map((f) => `${f}\n${readFileSync(join(p, f), 'utf8')}`).join('\n');
}

/** The cache directory of a format's image: named for the hash of its inputs. */
export function bootstrapCacheDir(format: 'initramfs' | 'live', bundle: string, flags: BuildFlags = {}): string {
  const options = resolveBuildOptions({ label: `e2e-${format}`, ...flags, format, outputDir: '/unused' }, {});
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...options, outputDir: '' }))
    .update(readFileSync(bundle))
    .update(BUILDER_SOURCES.map(sourceText).join('\n'))
    .update(readFileSync(process.execPath))
    .digest('hex')
    .slice(0, 16);
  return join(BOOTSTRAP_CACHE, `${format}-${hash}`);
}

export async function bootstrapImage(format: 'initramfs' | 'live', flags: BuildFlags = {}): Promise<BuiltBootstrap> {
  const scratch = mkdtempSync(join(tmpdir(), 'anvil-bs-bundle-'));
  try {
    const bundle = join(scratch, 'anvil.cjs');
    bundleAgent(bundle);
    const options = resolveBuildOptions({ label: `e2e-${format}`, ...flags, format, outputDir: '/unused' }, {});
    const dir = bootstrapCacheDir(format, bundle, flags);
    const done = join(dir, 'build.json');
    let cached = true;
    if (!existsSync(done)) {
      cached = false;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const log = createLogger({ level: 'warn', name: 'bootstrap-build', destination: pino.destination(2) });
      const r = await buildBootstrap({ ...options, outputDir: dir }, { runner: new SystemRunner(log), bundle, progress: { write: (t) => void process.stderr.write(t) } });
      mkdirSync(join(dir, 'files'));
      execFileSync('tar', ['-xzf', r.archive, '-C', join(dir, 'files')]);
      writeFileSync(done, JSON.stringify({ archive: r.archive, seconds: r.seconds, sizes: r.sizes }));
    }
    const info = JSON.parse(readFileSync(done, 'utf8')) as { archive: string; seconds: number; sizes: Record<string, number> };
    const files = join(dir, 'files');
    const metadata = BootstrapMetadata.parse(parseYaml(readFileSync(join(files, BOOTSTRAP_FILES.metadata), 'utf8')));
    return {
      archive: info.archive,
      files: { linux: join(files, BOOTSTRAP_FILES.kernel), initramfs: join(files, BOOTSTRAP_FILES.initramfs), ...(format === 'live' ? { squashfs: join(files, BOOTSTRAP_FILES.squashfs) } : {}) },
      metadata,
      buildSeconds: info.seconds,
      cached,
      sizes: info.sizes,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
