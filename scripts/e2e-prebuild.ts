/**
 * Builds (or finds in the cache) the bootstrap images the e2e suite boots, outside any test lock:
 * `npx tsx scripts/bootstrap-prebuild.ts [initramfs|live]...` (as root). Prints the archive and its figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAgent } from '../agent/src/build/bundle';
import { bootstrapCacheDir, bootstrapImage } from '../test/helpers/bootstrap';

async function run(): Promise<void> {
  if (process.argv[2] === '--cache-dir') {
    const scratch = mkdtempSync(join(tmpdir(), 'anvil-bs-key-'));
    bundleAgent(join(scratch, 'anvil.cjs'));
    process.stdout.write(bootstrapCacheDir((process.argv[3] ?? 'initramfs') as 'initramfs', join(scratch, 'anvil.cjs')) + '\n');
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  const formats = (process.argv.slice(2).length ? process.argv.slice(2) : ['initramfs']) as ('initramfs' | 'live')[];
  for (const f of formats) {
    const img = await bootstrapImage(f);
    process.stdout.write(`${f}: ${img.archive} ${img.cached ? '(cached) ' : ''}build ${img.buildSeconds.toFixed(0)} s ${JSON.stringify(img.sizes)}\n`);
  }
}

void run().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
