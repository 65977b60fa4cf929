import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../../system/runner';

/**
 * The `initramfs` format's /init: the kernel runs it from the unpacked cpio (a tmpfs), and it becomes
 * systemd, which runs the image as a normal system (there is no /etc/initrd-release, so no switch-root).
 */
export const INIT_SCRIPT = `#!/bin/sh
# Anvil bootstrap (initramfs format): the whole root is this initramfs; systemd runs it in place.
exec /lib/systemd/systemd "$@"
`;

/** zstd: the kernel unpacks it fastest of what Debian's kernel reads (CONFIG_RD_ZSTD), which matters under emulation. */
export async function packInitramfs(runner: Runner, root: string, out: string): Promise<void> {
  writeFileSync(join(root, 'init'), INIT_SCRIPT);
  chmodSync(join(root, 'init'), 0o755);
  await runner.run(['bash', '-o', 'pipefail', '-c', 'cd "$1" && find . -mindepth 1 -xdev -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet | zstd -q -T0 -7 -o "$2"', 'pack', root, out], { timeoutMs: 30 * 60_000 });
}

/** The `live` format's root.squashfs (zstd blocks of 1 MiB), the kernel and initramfs outside it. */
export async function packSquashfs(runner: Runner, root: string, out: string): Promise<void> {
  await runner.run(['mksquashfs', root, out, '-noappend', '-no-progress', '-quiet', '-comp', 'zstd', '-Xcompression-level', '15', '-b', '1M', '-wildcards', '-e', 'boot/*', 'proc/*', 'sys/*', 'dev/*', 'run/*', 'tmp/*'], { timeoutMs: 30 * 60_000 });
}

/** The container: one gzip'd tar of the files, flat (no directory), metadata.yaml first. */
export async function packArchive(runner: Runner, dir: string, files: readonly string[], out: string): Promise<void> {
  await runner.run(['tar', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-czf', out, ...files], { timeoutMs: 30 * 60_000 });
}
