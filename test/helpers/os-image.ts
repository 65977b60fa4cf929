import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The real Debian bookworm OS of the emulated-bare-metal lab (scripts/lab/build-os-image.sh): systemd, GRUB for
 * BIOS and UEFI, mdadm and lvm2 in the initramfs, cloud-init on the config drive. Built once per input (the
 * script's text and this helper's constants) under /var/tmp/anvil-os/<hash16>/ (ANVIL_OS_CACHE): into a temporary
 * directory beside it, renamed into place when complete, so an interrupted build leaves nothing that looks done.
 * Figures (2 cores, TCG, a manual run): build 74–148 s (cold apt), os.tar.zst 126 MiB (root 427 MiB, 218 packages);
 * the agent's update-initramfs in the deployed tree 206–257 s of a 282–386 s provision (MODULES=most); disk boot to
 * cloud-init's runcmd 77 s (BIOS, root on LVM-on-MD) and 63 s (UEFI) of kernel uptime.
 */
export const OS_CACHE = process.env.ANVIL_OS_CACHE ?? '/var/tmp/anvil-os';
const ROOT = join(__dirname, '../..');
const SCRIPT = 'scripts/lab/build-os-image.sh';
/** Bumped by hand to force a rebuild (say, for a Debian point release the script's text does not show). */
const HELPER_INPUTS = { version: 1, files: ['os.tar.zst', 'kernel-version', 'os.json'] } as const;

export interface DebianOsImage {
  /** The root filesystem: a tar with numeric owners, zstd-compressed. */
  readonly tar: string;
  readonly kernelVersion: string;
  readonly dir: string;
  /** The build's wall time (of the run that built it; a cached image keeps its figure). */
  readonly buildSeconds: number;
  readonly cached: boolean;
}

export function osImageDir(): string {
  const hash = createHash('sha256').update(readFileSync(join(ROOT, SCRIPT), 'utf8')).update(JSON.stringify(HELPER_INPUTS)).digest('hex').slice(0, 16);
  return join(OS_CACHE, hash);
}

function complete(dir: string): boolean {
  return HELPER_INPUTS.files.every((f) => existsSync(join(dir, f)));
}

export async function debianOsImage(): Promise<DebianOsImage> {
  const dir = osImageDir();
  let cached = true;
  if (!complete(dir)) {
    cached = false;
    mkdirSync(OS_CACHE, { recursive: true });
    const tmp = mkdtempSync(`${dir}.tmp-`);
    chmodSync(tmp, 0o755);
    try {
      execFileSync('bash', [join(ROOT, SCRIPT)], { env: { ...process.env, OUT: tmp }, stdio: ['ignore', 2, 2] });
      if (!complete(tmp)) throw new Error(`${SCRIPT} did not write ${HELPER_INPUTS.files.join(', ')} into ${tmp}`);
      // Another build of the same inputs may have finished first: its result is as good as ours.
      if (complete(dir)) rmSync(tmp, { recursive: true, force: true });
      else {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  const info = JSON.parse(readFileSync(join(dir, 'os.json'), 'utf8')) as { buildSeconds: number };
  return { tar: join(dir, 'os.tar.zst'), kernelVersion: readFileSync(join(dir, 'kernel-version'), 'utf8').trim(), dir, buildSeconds: info.buildSeconds, cached };
}
