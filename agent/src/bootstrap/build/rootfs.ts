import { posix } from 'node:path';
import { aptPreferences, proxyAptOptions, sourcesLines } from './apt';
import { DPKG_EXCLUDES, DPKG_INCLUDES, TRIMMED_MODULE_TREES, TRIMMED_PATHS } from './contents';
import type { BuildOptionsT, Repo } from './options';

/** Markers the customize script prints, so the log tells the stages apart and a failing --script is recognised. */
export const MARK = { stage: 'ANVIL-STAGE', scriptFailed: 'ANVIL-SCRIPT-FAILED' } as const;

/** Where the real update-initramfs is diverted to: the kernel's postinst must not build an initramfs the image throws away. */
export const DIVERTED_UPDATE_INITRAMFS = '/usr/sbin/update-initramfs.anvil-real';

/** Units masked in the image (timers and monitors a short-lived deploy ramdisk does not want; they slow its boot too). */
export const MASKED_UNITS = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'fstrim.timer', 'lvm2-monitor.service', 'mdmonitor.service', 'mdcheck_start.timer', 'mdcheck_continue.timer', 'mdmonitor-oneshot.timer', 'systemd-networkd-wait-online.service'] as const;

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface CustomizeInputs {
  readonly stage: string;
  readonly units: readonly string[];
  readonly withCa: boolean;
  readonly injectFilesFrom?: string | undefined;
  readonly script?: string | undefined;
  readonly format: BuildOptionsT['format'];
}

/**
 * The script mmdebstrap's customize hook runs on the build host with the image's root as $1 (mmdebstrap has
 * mounted /proc, /sys and /dev in it): the agent's files, units enabled, CA store, then the operator's
 * --inject-files-from and --script (in that order: after all packages, before the initramfs), the trim, and
 * for `live` the initramfs live-boot makes. The build options' proxies leave the image at the end.
 */
export function customizeScript(c: CustomizeInputs): string {
  const lines = [
    '#!/bin/sh',
    'set -eu',
    'root=$1',
    `echo "${MARK.stage} agent"`,
    `cp -a ${q(c.stage)}/. "$root/"`,
    `chroot "$root" systemctl enable ${c.units.join(' ')}`,
    // a deploy ramdisk runs for minutes: no periodic maintenance, no LVM/MD monitoring daemons on the disks it rewrites
    `for u in ${MASKED_UNITS.join(' ')}; do chroot "$root" systemctl mask "$u" >/dev/null 2>&1 || true; done`,
    'echo anvil-bootstrap > "$root/etc/hostname"',
    ': > "$root/etc/machine-id"',
    ...(c.withCa ? ['chroot "$root" update-ca-certificates --fresh >/dev/null'] : []),
    ...(c.injectFilesFrom ? [`echo "${MARK.stage} inject"`, `cp -a --no-preserve=ownership ${q(c.injectFilesFrom)}/. "$root/"`] : []),
    ...(c.script
      ? [
          `echo "${MARK.stage} script"`,
          `cp ${q(c.script)} "$root/tmp/anvil-build-script"`,
          'chmod 755 "$root/tmp/anvil-build-script"',
          `if ! chroot "$root" /tmp/anvil-build-script; then echo "${MARK.scriptFailed}"; exit 1; fi`,
          'rm -f "$root/tmp/anvil-build-script"',
        ]
      : []),
    `echo "${MARK.stage} trim"`,
    'for kdir in "$root"/lib/modules/*; do',
    '  kver=${kdir##*/}',
    `  for t in ${TRIMMED_MODULE_TREES.join(' ')}; do rm -rf "$kdir/kernel/$t"; done`,
    '  chroot "$root" depmod -a "$kver"',
    'done',
    `for p in ${TRIMMED_PATHS.join(' ')}; do rm -rf "$root/$p"; done`,
    'mkdir -p "$root/var/lib/apt/lists/partial" "$root/var/cache/apt/archives/partial"',
    'rm -f "$root"/boot/initrd.img* "$root"/initrd.img* "$root"/initrd.img.old',
    ...(c.format === 'live'
      ? [
          `echo "${MARK.stage} initramfs"`,
          'for kdir in "$root"/lib/modules/*; do',
          `  chroot "$root" ${DIVERTED_UPDATE_INITRAMFS} -c -k "\${kdir##*/}"`,
          'done',
        ]
      : []),
    'rm -f "$root/etc/apt/apt.conf.d/99mmdebstrap"',
    `echo "${MARK.stage} customized"`,
    '',
  ];
  return lines.join('\n');
}

export interface MmdebstrapInputs {
  readonly options: BuildOptionsT;
  readonly repos: readonly Repo[];
  readonly packages: readonly string[];
  readonly root: string;
  readonly customizeScriptPath: string;
  /** apt preferences file on the host, when a repository has a priority. */
  readonly preferencesPath?: string | undefined;
}

/** The mmdebstrap command: minbase, root mode, the packages, the proxies as apt options, the three hooks. */
export function mmdebstrapArgv(i: MmdebstrapInputs): string[] {
  const o = i.options;
  const argv = ['mmdebstrap', '--mode=root', '--variant=minbase', '--verbose', '--format=directory', `--include=${i.packages.join(',')}`, '--aptopt=Acquire::Retries "3";', '--aptopt=APT::Install-Recommends "false";'];
  for (const opt of proxyAptOptions(o)) argv.push(`--aptopt=${opt}`);
  for (const p of DPKG_EXCLUDES) argv.push(`--dpkgopt=path-exclude=${p}`);
  for (const p of DPKG_INCLUDES) argv.push(`--dpkgopt=path-include=${p}`);
  if (i.preferencesPath) argv.push(`--setup-hook=mkdir -p "$1/etc/apt/preferences.d" && cp ${q(i.preferencesPath)} "$1/etc/apt/preferences.d/anvil-bootstrap.pref"`);
  // apt inside the image reads the same sources.list lines, so a signed-by keyring must be at its path there too
  // (mmdebstrap verifies the download with the host's copy; it copies no keyring in by itself)
  for (const key of new Set(i.repos.flatMap((r) => (r.signedBy ? [r.signedBy] : [])))) argv.push(`--setup-hook=mkdir -p "$1"${q(posix.dirname(key))} && cp ${q(key)} "$1"${q(key)}`);
  argv.push(
    `--essential-hook=chroot "$1" dpkg-divert --quiet --local --rename --divert ${DIVERTED_UPDATE_INITRAMFS} --add /usr/sbin/update-initramfs && printf '#!/bin/sh\\nexit 0\\n' > "$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"`,
  );
  argv.push(`--customize-hook=sh ${q(i.customizeScriptPath)} "$1"`);
  argv.push(o.release, i.root, ...sourcesLines(i.repos));
  return argv;
}

export { aptPreferences };
