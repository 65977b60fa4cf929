import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpClient, KeystoneSession } from '@anvil/shared/openstack';
import type { AxiosInstance } from 'axios';
import { freePort, renderIni, stopProcessGroup, waitFor } from './ironic';

export function keystoneInstalled(): boolean {
  return existsSync('/usr/bin/keystone-manage') && existsSync('/usr/bin/uwsgi');
}

/**
 * Debian's Keystone on 127.0.0.1 under uwsgi (SQLite in WAL mode, fernet tokens), bootstrapped with an
 * admin, and a `service` project holding the `ironic` service user.
 */
export class KeystoneServer {
  private proc?: ChildProcess;
  readonly adminPassword = randomBytes(12).toString('hex');
  readonly servicePassword = randomBytes(12).toString('hex');

  private constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  /** `host`: the address it listens on (the lab's bridge address, for servers that authenticate), 127.0.0.1 by default. */
  static async start(o: { host?: string } = {}): Promise<KeystoneServer> {
    if (!keystoneInstalled()) throw new Error('Keystone is not installed: run `npm run setup` as root');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-keystone-'));
    const port = await freePort();
    const ks = new KeystoneServer(dir, `http://${o.host ?? '127.0.0.1'}:${port}`);
    for (const repo of ['fernet-keys', 'credential-keys']) {
      mkdirSync(join(dir, repo), { mode: 0o700 });
      // What keystone-manage fernet_setup/credential_setup write: keys 0 and 1, 32 random bytes, urlsafe base64.
      for (const k of ['0', '1']) writeFileSync(join(dir, repo, k), randomBytes(32).toString('base64url') + '=', { mode: 0o600 });
    }
    mkdirSync(join(dir, 'log'));
    const conf = join(dir, 'keystone.conf');
    writeFileSync(
      conf,
      renderIni({
        DEFAULT: { log_dir: join(dir, 'log'), use_stderr: false },
        database: { connection: `sqlite:///${join(dir, 'keystone.sqlite')}` },
        token: { provider: 'fernet' },
        fernet_tokens: { key_repository: join(dir, 'fernet-keys') },
        fernet_receipts: { key_repository: join(dir, 'fernet-keys') },
        credential: { key_repository: join(dir, 'credential-keys') },
        // bcrypt's default 12 rounds costs ~0.5 s per password authentication on this machine.
        identity: { password_hash_rounds: 4 },
      }),
    );
    const log = openSync(join(dir, 'log', 'manage.log'), 'a');
    const manage = (args: string[]): void => void execFileSync('/usr/bin/keystone-manage', ['--config-file', conf, ...args], { stdio: ['ignore', log, log] });
    manage(['db_sync']);
    execFileSync('/usr/bin/sqlite3', [join(dir, 'keystone.sqlite'), 'PRAGMA journal_mode=WAL;'], { stdio: 'ignore' });
    manage(['bootstrap', '--bootstrap-password', ks.adminPassword, '--bootstrap-admin-url', `${ks.url}/v3`, '--bootstrap-public-url', `${ks.url}/v3`, '--bootstrap-internal-url', `${ks.url}/v3`, '--bootstrap-region-id', 'RegionOne']);
    const out = openSync(join(dir, 'log', 'uwsgi.log'), 'a');
    // One thread per process (SQLite objects are per thread); Connection: close because uwsgi's http-socket
    // does not keep connections alive and keystonemiddleware would reuse a closed one.
    ks.proc = spawn('/usr/bin/uwsgi', ['--plugin', 'python3', '--http-socket', `${o.host ?? '127.0.0.1'}:${port}`, '--wsgi-file', '/usr/bin/keystone-wsgi-public', '--master', '--processes', '2', '--threads', '1', '--die-on-term', '--need-app', '--add-header', 'Connection: close'], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: conf },
    });
    try {
      await waitFor('Keystone', 60_000, async () => ((await fetch(`${ks.url}/v3`)).ok ? true : undefined), 300);
      await ks.seed();
    } catch (err) {
      await ks.stop();
      throw err;
    }
    return ks;
  }

  adminSession(): KeystoneSession {
    return new KeystoneSession({ type: 'password', auth_url: `${this.url}/v3`, username: 'admin', password: this.adminPassword, project_name: 'admin' });
  }

  /** The `ironic` service user (Glance's and Ironic's keystone_authtoken user) on the `service` project. */
  serviceSession(): KeystoneSession {
    return new KeystoneSession({ type: 'password', auth_url: `${this.url}/v3`, username: 'ironic', password: this.servicePassword, project_name: 'service' });
  }

  /** A keystoneauth password section for the `ironic` service user (a service's [ironic], [placement], …). */
  serviceAuth(): Record<string, string> {
    return { auth_type: 'password', auth_url: `${this.url}/v3`, username: 'ironic', password: this.servicePassword, project_name: 'service', user_domain_name: 'Default', project_domain_name: 'Default' };
  }

  /** keystonemiddleware's [keystone_authtoken] for a service's API, as the service user. */
  authtoken(): Record<string, string> {
    return { www_authenticate_uri: `${this.url}/v3`, ...this.serviceAuth() };
  }

  /** The driver-service's Keystone settings (its ANVIL_KEYSTONE_* variables) for the service user. */
  driverServiceEnv(): NodeJS.ProcessEnv {
    return { ANVIL_KEYSTONE_AUTH_URL: `${this.url}/v3`, ANVIL_KEYSTONE_USERNAME: 'ironic', ANVIL_KEYSTONE_PASSWORD: this.servicePassword };
  }

  /** Keystone's v3 API as the admin. */
  private async adminHttp(): Promise<AxiosInstance> {
    return httpClient({ baseURL: `${this.url}/v3`, headers: { 'X-Auth-Token': await this.adminSession().token() } });
  }

  /** The `service` project and the `ironic` user with the admin and service roles in it. */
  private async seed(): Promise<void> {
    const http = await this.adminHttp();
    const project = (await http.post('/projects', { project: { name: 'service', domain_id: 'default' } })).data as { project: { id: string } };
    const user = (await http.post('/users', { user: { name: 'ironic', password: this.servicePassword, domain_id: 'default' } })).data as { user: { id: string } };
    const roles = (await http.get('/roles')).data as { roles: { id: string; name: string }[] };
    let service = roles.roles.find((r) => r.name === 'service');
    service ??= ((await http.post('/roles', { role: { name: 'service' } })).data as { role: { id: string; name: string } }).role;
    for (const role of [roles.roles.find((r) => r.name === 'admin')!, service]) await http.put(`/projects/${project.project.id}/users/${user.user.id}/roles/${role.id}`);
  }

  /** A user with one role on the `service` project; returns a session for it. */
  async createUser(name: string, role: string): Promise<KeystoneSession> {
    const http = await this.adminHttp();
    const password = randomBytes(12).toString('hex');
    const user = (await http.post('/users', { user: { name, password, domain_id: 'default' } })).data as { user: { id: string } };
    const projects = (await http.get('/projects', { params: { name: 'service' } })).data as { projects: { id: string }[] };
    const roles = (await http.get('/roles', { params: { name: role } })).data as { roles: { id: string }[] };
    await http.put(`/projects/${projects.projects[0]!.id}/users/${user.user.id}/roles/${roles.roles[0]!.id}`);
    return new KeystoneSession({ type: 'password', auth_url: `${this.url}/v3`, username: name, password, project_name: 'service' });
  }

  /** Registers a catalog entry (service type and public/internal endpoints). */
  async addEndpoint(type: string, url: string): Promise<void> {
    const http = await this.adminHttp();
    const svc = (await http.post('/services', { service: { type, name: type } })).data as { service: { id: string } };
    for (const iface of ['public', 'internal']) await http.post('/endpoints', { endpoint: { service_id: svc.service.id, interface: iface, url, region_id: 'RegionOne' } });
  }

  async stop(keep = Boolean(process.env.ANVIL_KEEP_IRONIC)): Promise<void> {
    await stopProcessGroup(this.proc);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
