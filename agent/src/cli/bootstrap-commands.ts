import type { Command } from 'commander';
import { AnvilError } from '@anvil/shared';
import { activateBootstrap, bootstrapStoreDir, deleteBootstrap, listBootstraps, type StoredBootstrap } from '@anvil/shared/bootstrap';
import { importBootstrap } from '../bootstrap/store';
import { toJson } from './io';
import type { Io } from './plan-commands';
import { call } from './service-commands';
import type { CliCloud } from './cli-cloud';

interface StoreFlags {
  store?: string;
}

/** The service's answer to `POST /v1/bootstraps/{uuid}/activate` (docs/openapi/driver-service.yaml, Activation). */
interface Activation {
  uuid: string;
  label: string | null;
  nodes: { node_uuid: string; ok: boolean; error?: string }[];
}

/** `uuid | label | status`, aligned. */
export function bootstrapTable(images: readonly StoredBootstrap[]): string {
  const rows = [['uuid', 'label', 'status'], ...images.map((b) => [b.uuid, b.label ?? '', b.status])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd()).join('\n');
}

/**
 * `anvil bootstrap import|list|activate|delete` (also installed as `anvil-bootstrap`): the bootstrap store,
 * `--store DIR`, ANVIL_BOOTSTRAP_STORE or /var/lib/anvil/bootstraps. Exit codes as the plan commands: 0 done,
 * 1 refused (the reason and its code on stderr), 2 usage. Returns the group, so that other subcommands
 * (`build`, agent/src/cli/bootstrap-build.ts) are added to it with one call.
 */
export function registerBootstrapCommands(program: Command, io: Io, setExit: (code: number) => void, cloud: CliCloud): Command {
  const bootstrap = program.command('bootstrap').description('bootstrap (deploy ramdisk) images: import, list, activate, delete');
  const storeOption = ['--store <dir>', 'the bootstrap store (default: ANVIL_BOOTSTRAP_STORE or /var/lib/anvil/bootstraps)'] as const;

  bootstrap
    .command('import <file>')
    .description('validate a <uuid>.tar.gz bootstrap archive and add it to the store (atomically; a refused import leaves nothing)')
    .option(...storeOption)
    .option('--activate', 'make it the active image once imported')
    .action(async (file: string, f: StoreFlags & { activate?: boolean }) => {
      const store = bootstrapStoreDir(f.store);
      const r = await importBootstrap(store, file, { activate: Boolean(f.activate) });
      io.out(`${r.image.uuid}: imported into ${store}${r.image.label ? ` (label ${r.image.label})` : ''}${r.activated ? '; active' : ''}`);
      setExit(0);
    });

  bootstrap
    .command('list')
    .description('list the stored images: uuid | label | status')
    .option(...storeOption)
    .option('--json', 'print them as JSON')
    .action(async (f: StoreFlags & { json?: boolean }) => {
      const images = await listBootstraps(bootstrapStoreDir(f.store));
      if (f.json) io.out(toJson({ bootstraps: images.map(({ metadata, ...b }) => ({ ...b, extend_kopts: metadata.extend_kopts })) }));
      else io.out(bootstrapTable(images));
      setExit(0);
    });

  bootstrap
    .command('activate <uuid>')
    .description('make an image the active one; with --service, the driver-service switches its store and re-points every adopted node in Ironic')
    .option(...storeOption)
    .option('--service <url>', 'activate in the driver-service’s store instead (POST /v1/bootstraps/{uuid}/activate)')
    .action(async (uuid: string, f: StoreFlags & { service?: string }) => {
      if (f.service) {
        const r = (await call(cloud.service(f.service), 'POST', `/v1/bootstraps/${encodeURIComponent(uuid)}/activate`)) as Activation;
        const failed = r.nodes.filter((n) => !n.ok);
        io.out(`${r.uuid}: active on ${f.service}; ${r.nodes.length - failed.length} of ${r.nodes.length} adopted node(s) re-pointed`);
        if (failed.length) throw new AnvilError('bootstrap.repoint_failed', `Ironic refused the new boot files of ${failed.map((n) => `${n.node_uuid} (${n.error ?? 'error'})`).join(', ')}`);
        setExit(0);
        return;
      }
      const b = await activateBootstrap(bootstrapStoreDir(f.store), uuid);
      io.out(`${b.uuid}: active${b.label ? ` (${b.label})` : ''}`);
      setExit(0);
    });

  bootstrap
    .command('delete <uuid>')
    .description('delete an inactive image from the store (the active one is refused)')
    .option(...storeOption)
    .action(async (uuid: string, f: StoreFlags) => {
      const b = await deleteBootstrap(bootstrapStoreDir(f.store), uuid);
      io.out(`${b.uuid}: deleted`);
      setExit(0);
    });
  return bootstrap;
}
