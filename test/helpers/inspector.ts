import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, renderIni, stopProcessGroup, waitFor } from './ironic';

const INSPECTOR = '/usr/bin/ironic-inspector';

export function inspectorInstalled(): boolean {
  return existsSync(INSPECTOR) && existsSync('/usr/bin/ironic-inspector-dbsync');
}

/**
 * Debian's ironic-inspector (11.1) on 127.0.0.1: the single-process `ironic-inspector` command (API and
 * conductor, standalone), noauth, SQLite, no PXE filter (the tests' ramdisk is a process, not a PXE boot),
 * introspection data stored in its database. Everything lives in a temporary folder removed by stop().
 */
export class InspectorServer {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  /** `port`: where it listens (chosen before Ironic starts, which needs the URL); a free one by default. */
  static async start(o: { ironicUrl: string; port?: number }): Promise<InspectorServer> {
    if (!inspectorInstalled()) throw new Error('ironic-inspector is not installed: run `npm run setup` (scripts/openstack/install.sh) as root');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-inspector-'));
    mkdirSync(join(dir, 'log'));
    const port = o.port ?? (await freePort());
    const s = new InspectorServer(dir, `http://127.0.0.1:${port}`);
    const conf = join(dir, 'inspector.conf');
    writeFileSync(
      conf,
      renderIni({
        // standalone: API and conductor in one process, their RPC over oslo.messaging's in-process fake transport (no RabbitMQ).
        DEFAULT: { auth_strategy: 'noauth', listen_address: '127.0.0.1', listen_port: port, debug: true, log_dir: join(dir, 'log'), use_stderr: false, standalone: true, transport_url: 'fake://', introspection_delay: 0 },
        database: { connection: `sqlite:///${join(dir, 'inspector.sqlite')}` },
        ironic: { auth_type: 'none', endpoint_override: o.ironicUrl, retry_interval: 1, max_retries: 5 },
        pxe_filter: { driver: 'noop' },
        processing: { store_data: 'database', add_ports: 'all', keep_ports: 'all', ramdisk_logs_dir: join(dir, 'ramdisk-logs') },
      }),
    );
    const log = openSync(join(dir, 'log', 'dbsync.log'), 'a');
    execFileSync('/usr/bin/ironic-inspector-dbsync', ['--config-file', conf, 'upgrade'], { stdio: ['ignore', log, log] });
    const out = openSync(join(dir, 'log', 'stdout.log'), 'a');
    s.proc = spawn(INSPECTOR, ['--config-file', conf], { detached: true, stdio: ['ignore', out, out] });
    const exited = new Promise<never>((_r, reject) => s.proc!.once('exit', (code) => reject(new Error(`ironic-inspector exited with ${code}:\n${s.logTail()}`))));
    exited.catch(() => undefined);
    try {
      await Promise.race([exited, waitFor('ironic-inspector', 60_000, async () => ((await fetch(`${s.url}/v1`)).ok ? true : undefined))]);
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  logTail(lines = 60): string {
    for (const f of ['ironic-inspector.log', 'stdout.log']) {
      const p = join(this.dir, 'log', f);
      if (existsSync(p)) return readFileSync(p, 'utf8').split('\n').slice(-lines).join('\n');
    }
    return '';
  }

  async stop(keep = Boolean(process.env.ANVIL_KEEP_IRONIC)): Promise<void> {
    await stopProcessGroup(this.proc);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
