import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { KeystoneSession } from '@anvil/shared/openstack';
import { freePort, renderIni, stopProcessGroup, waitFor } from './ironic';
import type { KeystoneServer } from './keystone';

export function glanceInstalled(): boolean {
  return existsSync('/usr/bin/glance-api') && existsSync('/usr/bin/glance-manage');
}

/**
 * Debian's Glance API on 127.0.0.1 (one eventlet worker, file store, SQLite in WAL mode) behind Keystone,
 * registered in the catalog as `image`. `[keystone_authtoken] service_type = image` makes it enforce the
 * access rules of application credentials.
 */
export class GlanceServer {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  /** `host`: the address it listens on (the lab's bridge address, for agents that download), 127.0.0.1 by default. */
  static async start(keystone: KeystoneServer, o: { host?: string } = {}): Promise<GlanceServer> {
    if (!glanceInstalled()) throw new Error('Glance is not installed: run `npm run setup` as root');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-glance-'));
    const port = await freePort();
    const g = new GlanceServer(dir, `http://${o.host ?? '127.0.0.1'}:${port}`);
    for (const d of ['log', 'images', 'staging', 'tasks', 'image-cache', 'lock']) mkdirSync(join(dir, d));
    const conf = join(dir, 'glance-api.conf');
    writeFileSync(
      conf,
      renderIni({
        DEFAULT: { bind_host: o.host ?? '127.0.0.1', bind_port: port, workers: 1, log_dir: join(dir, 'log'), log_file: 'glance-api.log', use_stderr: false, enabled_backends: 'fs:file', image_cache_dir: join(dir, 'image-cache'), worker_self_reference_url: g.url },
        database: { connection: `sqlite:///${join(dir, 'glance.sqlite')}` },
        glance_store: { default_backend: 'fs' },
        fs: { filesystem_store_datadir: join(dir, 'images') },
        os_glance_staging_store: { filesystem_store_datadir: join(dir, 'staging') },
        os_glance_tasks_store: { filesystem_store_datadir: join(dir, 'tasks') },
        paste_deploy: { flavor: 'keystone', config_file: '/usr/share/glance-common/glance-api-paste.ini' },
        keystone_authtoken: { ...keystone.authtoken(), service_type: 'image' },
        oslo_policy: { enforce_new_defaults: false, enforce_scope: false },
        oslo_concurrency: { lock_path: join(dir, 'lock') },
      }),
    );
    const log = openSync(join(dir, 'log', 'stdout.log'), 'a');
    execFileSync('/usr/bin/glance-manage', ['--config-file', conf, 'db_sync'], { stdio: ['ignore', log, log] });
    execFileSync('/usr/bin/sqlite3', [join(dir, 'glance.sqlite'), 'PRAGMA journal_mode=WAL;'], { stdio: 'ignore' });
    g.proc = spawn('/usr/bin/glance-api', ['--config-file', conf], { detached: true, stdio: ['ignore', log, log] });
    try {
      await waitFor('Glance', 90_000, async () => ((await fetch(`${g.url}/versions`).catch(() => undefined))?.ok ? true : undefined), 300);
      await keystone.addEndpoint('image', g.url);
    } catch (err) {
      const tail = existsSync(join(dir, 'log', 'glance-api.log')) ? readFileSync(join(dir, 'log', 'glance-api.log'), 'utf8').slice(-2000) : '';
      await g.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail}`);
    }
    return g;
  }

  /** Creates an image and uploads `file` into it; returns the active image's metadata. */
  async upload(session: KeystoneSession, file: string, fields: Record<string, unknown>): Promise<{ id: string; os_hash_algo: string; os_hash_value: string; checksum: string }> {
    const headers = { 'X-Auth-Token': await session.token() };
    const created = await fetch(`${this.url}/v2/images`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ container_format: 'bare', ...fields }) });
    if (created.status !== 201) throw new Error(`Glance image create: ${created.status} ${await created.text()}`);
    const { id } = z.object({ id: z.string() }).parse(await created.json());
    const put = await fetch(`${this.url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: readFileSync(file) });
    if (put.status !== 204) throw new Error(`Glance upload: ${put.status} ${await put.text()}`);
    const shown = await fetch(`${this.url}/v2/images/${id}`, { headers });
    return z.object({ id: z.string(), os_hash_algo: z.string(), os_hash_value: z.string(), checksum: z.string() }).parse(await shown.json());
  }

  async stop(keep = Boolean(process.env.ANVIL_KEEP_IRONIC)): Promise<void> {
    await stopProcessGroup(this.proc);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
