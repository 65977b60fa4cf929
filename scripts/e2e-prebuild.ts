/**
 * Builds (or finds in the caches) the images the e2e suite boots, on the host and outside any test lock: the
 * bootstrap images (both formats; the VM suite boots the initramfs one too) and the lab's Debian OS image. They
 * need the Debian mirror, which the lab's network namespace cannot reach, so scripts/e2e.sh runs this first.
 *   npx tsx scripts/e2e-prebuild.ts [initramfs|live|os]...   (as root; default: all three)
 *   npx tsx scripts/e2e-prebuild.ts --cache-dir [initramfs|live]   (prints a bootstrap format's cache directory)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAgent } from '../agent/src/build/bundle';
import { bootstrapCacheDir, bootstrapImage } from '../test/helpers/bootstrap';
import { debianOsImage } from '../test/helpers/os-image';

async function run(): Promise<void> {
  if (process.argv[2] === '--cache-dir') {
    const scratch = mkdtempSync(join(tmpdir(), 'anvil-bs-key-'));
    bundleAgent(join(scratch, 'anvil.cjs'));
    process.stdout.write(bootstrapCacheDir((process.argv[3] ?? 'initramfs') as 'initramfs', join(scratch, 'anvil.cjs')) + '\n');
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ['initramfs', 'live', 'os'];
  for (const w of wanted) {
    if (w === 'os') {
      const os = await debianOsImage();
      process.stdout.write(`os: ${os.tar} ${os.cached ? '(cached) ' : ''}build ${os.buildSeconds.toFixed(0)} s\n`);
      continue;
    }
    if (w !== 'initramfs' && w !== 'live') throw new Error(`unknown image ${w}: initramfs, live or os`);
    const img = await bootstrapImage(w);
    process.stdout.write(`${w}: ${img.archive} ${img.cached ? '(cached) ' : ''}build ${img.buildSeconds.toFixed(0)} s ${JSON.stringify(img.sizes)}\n`);
  }
}

void run().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
