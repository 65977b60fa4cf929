import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, stopProcessGroup, waitFor } from './ironic';

/** Debian's PostgreSQL server binaries (the newest installed major version), or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/**
 * A throw-away PostgreSQL cluster on 127.0.0.1 (initdb in a temporary directory, run as the `postgres`
 * user, trust authentication, fsync off) with one database.
 */
export class PostgresServer {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  static async start(database = 'anvil'): Promise<PostgresServer> {
    const bin = postgresBin();
    if (!bin) throw new Error('PostgreSQL is not installed: run `npm run setup` as root');
    const ids = { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
    const dir = mkdtempSync(join(tmpdir(), 'anvil-pg-'));
    chownSync(dir, ids.uid, ids.gid);
    const data = join(dir, 'data');
    const log = openSync(join(tmpdir(), `${dir.split('/').pop()}.log`), 'a');
    execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...ids, cwd: dir, stdio: ['ignore', log, log] });
    const port = await freePort();
    const pg = new PostgresServer(dir, `postgres://postgres@127.0.0.1:${port}/${database}`);
    pg.proc = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], { ...ids, cwd: dir, detached: true, stdio: ['ignore', log, log] });
    try {
      const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
      await waitFor('PostgreSQL', 60_000, async () => {
        const c = new Client({ connectionString: admin });
        try {
          await c.connect();
          return true;
        } catch {
          return undefined;
        } finally {
          await c.end().catch(() => undefined);
        }
      }, 200);
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`CREATE DATABASE ${database}`);
      await c.end();
    } catch (err) {
      await pg.stop();
      throw err;
    }
    return pg;
  }

  async stop(): Promise<void> {
    await stopProcessGroup(this.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
