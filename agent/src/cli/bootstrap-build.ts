import type { Command } from 'commander';
import pino from 'pino';
import { createLogger } from '@anvil/shared';
import { importBootstrap } from '../bootstrap/store';
import { bootstrapStoreDir } from '@anvil/shared/bootstrap';
import { buildBootstrap } from '../bootstrap/build/build';
import { FORMATS, KERNEL_FLAVORS, resolveBuildOptions, type BuildFlags } from '../bootstrap/build/options';
import { KEEP_DRIVERS_WARNING } from '../bootstrap/build/progress';
import { SystemRunner } from '../system/runner';
import type { Io } from './plan-commands';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const stdIo: Io = { out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'), err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n') };

/** `anvil bootstrap build`: a bootstrap image from Debian packages (docs/bootstrap-build.md). */
export function registerBootstrapBuild(bootstrap: Command, io: Io = stdIo, setExit: (code: number) => void = () => undefined): void {
  bootstrap
    .command('build')
    .description('build a bootstrap image (the deploy ramdisk with the Anvil agent) from Debian packages; writes <uuid>.tar.gz')
    .option('--repo <line>', "a repository: 'deb URI SUITE COMPONENTS[,priority=N]' (repeatable; one for the release's suite replaces Debian's defaults)", collect)
    .option('--http-proxy <url>', 'proxy for http:// repositories (default: $HTTP_PROXY)')
    .option('--https-proxy <url>', 'proxy for https:// repositories (default: $HTTPS_PROXY)')
    .option('--direct-repo-addr <addr>', 'a repository host reached without the proxy (repeatable)', collect)
    .option('--package <name>', 'a Debian package to add, with its dependencies (repeatable)', collect)
    .option('--script <file>', 'a script run inside the image after the packages, before the initramfs is made')
    .option('--inject-files-from <dir>', 'a directory copied over the image root after the packages, before the initramfs')
    .option('--extend-kopts <opts>', 'kernel parameters the image adds to the agent’s (metadata.yaml extend_kopts)')
    .option('--kernel-flavor <flavor>', `the Debian kernel: ${KERNEL_FLAVORS.join(', ')} (default amd64: the physical servers' drivers)`)
    .option('--release <codename>', 'the Debian release (default bookworm)')
    .option('--ssh-keys <file>', 'authorized_keys for root (adds openssh-server)')
    .option('--ca-cert <file>', 'a CA certificate the agent trusts for TLS (repeatable)', collect)
    .option('--label <label>', 'a name shown in bootstrap listings')
    .option('--config-file <file>', 'a YAML file with any of these options (flags win)')
    .option('--output-dir <dir>', 'where <uuid>.tar.gz is written (default /tmp)')
    .option('--format <format>', `${FORMATS.join(' or ')} (default initramfs)`)
    .option('--activate', 'import the image into the bootstrap store and make it active')
    .option('--store <dir>', 'the bootstrap store for --activate (default: ANVIL_BOOTSTRAP_STORE or /var/lib/anvil/bootstraps)')
    .action(async (flags: BuildFlags & { store?: string }) => {
      const options = resolveBuildOptions(flags);
      io.err(KEEP_DRIVERS_WARNING);
      const log = createLogger({ level: process.env.ANVIL_LOG_LEVEL ?? 'error', name: 'anvil-bootstrap', destination: pino.destination(2) });
      const result = await buildBootstrap(options, { runner: new SystemRunner(log), progress: { write: (t) => void process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) } });
      io.out(`Bootstrap saved to ${result.archive}`);
      io.out(`Bootstrap UUID: ${result.uuid}`);
      io.out(`kernel ${result.kernelVersion}; ${Object.entries(result.sizes).map(([f, s]) => `${f} ${(s / 1e6).toFixed(1)} MB`).join(', ')}; ${result.seconds.toFixed(0)} s; log ${result.log}`);
      if (options.activate) {
        const store = bootstrapStoreDir(flags.store);
        const r = await importBootstrap(store, result.archive, { activate: true });
        io.out(`${r.image.uuid}: imported into ${store}; active`);
      }
      setExit(0);
    });
}
