import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IronicClient, type IronicNodeT } from '@anvil/shared/openstack';

export type IniSections = Record<string, Record<string, string | number | boolean>>;

export function renderIni(sections: IniSections): string {
  return Object.entries(sections)
    .map(([name, kv]) => `[${name}]\n${Object.entries(kv).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`)
    .join('\n');
}

/** Deep-merges INI overrides into a base. */
export function mergeIni(base: IniSections, extra: IniSections = {}): IniSections {
  const out: IniSections = {};
  for (const [s, kv] of Object.entries(base)) out[s] = { ...kv };
  for (const [s, kv] of Object.entries(extra)) out[s] = { ...out[s], ...kv };
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface IronicStartOptions {
  readonly auth?: 'noauth' | 'keystone';
  /** Keystone for auth=keystone: its URL and the service user's password. */
  readonly keystone?: { url: string; servicePassword: string };
  /** The address the API listens on and advertises (the lab's bridge address), 127.0.0.1 by default. */
  readonly host?: string;
  /** Extra ironic.conf settings, merged over the defaults. */
  readonly conf?: IniSections;
  /** Folders put on the conductor's PYTHONPATH, e.g. where the conductor plugin is installed (test/helpers/conductor-plugin.ts). */
  readonly pythonPath?: readonly string[];
}

const IRONIC = '/usr/bin/ironic';

export function ironicInstalled(): boolean {
  return existsSync(IRONIC) && existsSync('/usr/bin/ironic-dbsync');
}

/**
 * Debian's Ironic (2023.1) on 127.0.0.1: the single-process `ironic` command (API and conductor,
 * rpc_transport=none) with SQLite in WAL mode, fake-hardware for nodes and custom-agent for deploys.
 * Everything lives in a temporary directory removed by stop().
 */
export class IronicServer {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly confPath: string,
  ) {}

  /** The process group of the running Ironic (it is started detached), e.g. to renice it. */
  get processGroup(): number | undefined {
    return this.proc?.pid;
  }

  static async start(o: IronicStartOptions = {}): Promise<IronicServer> {
    if (!ironicInstalled()) throw new Error('Ironic is not installed: run `npm run setup` (scripts/openstack/install.sh) as root');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-ironic-'));
    for (const d of ['log', 'tmp', 'httpboot', 'tftpboot', 'images', 'master_images', 'lock']) mkdirSync(join(dir, d), { recursive: true });
    const port = await freePort();
    const host = o.host ?? '127.0.0.1';
    const url = `http://${host}:${port}`;
    const auth = o.auth ?? 'noauth';
    const ks = o.keystone;
    const keystoneAuth = (extra: Record<string, string> = {}): Record<string, string> =>
      ks
        ? { auth_type: 'password', auth_url: `${ks.url}/v3`, username: 'ironic', password: ks.servicePassword, project_name: 'service', user_domain_name: 'Default', project_domain_name: 'Default', ...extra }
        : { auth_type: 'none', ...extra };
    const base: IniSections = {
      DEFAULT: {
        host,
        auth_strategy: auth,
        rpc_transport: 'none',
        debug: true,
        log_dir: join(dir, 'log'),
        state_path: dir,
        tempdir: join(dir, 'tmp'),
        use_stderr: false,
        enabled_hardware_types: 'fake-hardware',
        enabled_boot_interfaces: 'fake',
        enabled_deploy_interfaces: 'fake,custom-agent,direct',
        enabled_power_interfaces: 'fake',
        enabled_management_interfaces: 'fake',
        enabled_network_interfaces: 'noop',
        enabled_vendor_interfaces: 'fake,no-vendor',
        enabled_inspect_interfaces: 'fake,no-inspect',
        enabled_console_interfaces: 'fake,no-console',
        enabled_raid_interfaces: 'fake,no-raid',
        enabled_rescue_interfaces: 'fake,no-rescue',
        enabled_bios_interfaces: 'fake,no-bios',
        enabled_storage_interfaces: 'noop',
        default_network_interface: 'noop',
      },
      api: { host_ip: host, port, ramdisk_heartbeat_timeout: 10 },
      database: { connection: `sqlite:///${join(dir, 'ironic.sqlite')}` },
      dhcp: { dhcp_provider: 'none' },
      conductor: {
        automated_clean: false,
        sync_power_state_interval: -1,
        check_provision_state_interval: 3,
        deploy_callback_timeout: 600,
        clean_callback_timeout: 600,
        heartbeat_interval: 5,
        api_url: url,
      },
      // tear_down_agent waits for the soft power-off to show; fake power never changes on its own.
      agent: { post_deploy_get_power_state_retries: 1, post_deploy_get_power_state_retry_interval: 1, command_timeout: 30, deploy_logs_collect: 'on_failure', deploy_logs_storage_backend: 'local', deploy_logs_local_path: join(dir, 'deploy-logs') },
      deploy: { http_root: join(dir, 'httpboot'), http_url: 'http://127.0.0.1:1', fast_track: false },
      pxe: { tftp_root: join(dir, 'tftpboot'), tftp_master_path: join(dir, 'tftpboot/master_images'), instance_master_path: join(dir, 'master_images'), images_path: join(dir, 'images') },
      oslo_concurrency: { lock_path: join(dir, 'lock') },
      // Agent deploys need the API URL even under noauth: [conductor]api_url is not what they read.
      service_catalog: keystoneAuth({ endpoint_override: url }),
      ...(ks
        ? {
            keystone_authtoken: { ...keystoneAuth(), www_authenticate_uri: `${ks.url}/v3`, service_token_roles_required: 'true' },
          }
        : {}),
    };
    const confPath = join(dir, 'ironic.conf');
    const conf = mergeIni(base, o.conf);
    writeFileSync(confPath, renderIni(conf));
    const hardwareType = String(conf.DEFAULT?.enabled_hardware_types ?? 'fake-hardware').split(',')[0]!.trim();
    execFileSync('/usr/bin/ironic-dbsync', ['--config-file', confPath, 'create_schema'], { stdio: ['ignore', openSync(join(dir, 'log', 'dbsync.log'), 'a'), openSync(join(dir, 'log', 'dbsync.log'), 'a')] });
    // WAL: readers never block the conductor's writes (SQLite's default journal locks them out).
    execFileSync('/usr/bin/sqlite3', [join(dir, 'ironic.sqlite'), 'PRAGMA journal_mode=WAL;'], { stdio: 'ignore' });
    const server = new IronicServer(dir, url, confPath);
    const out = openSync(join(dir, 'log', 'stdout.log'), 'a');
    const env = o.pythonPath?.length ? { ...process.env, PYTHONPATH: [...o.pythonPath, process.env.PYTHONPATH].filter(Boolean).join(':') } : process.env;
    server.proc = spawn(IRONIC, ['--config-file', confPath], { detached: true, stdio: ['ignore', out, out], env });
    const exited = new Promise<never>((_r, reject) => server.proc!.once('exit', (code) => reject(new Error(`ironic exited with ${code}:\n${server.logTail()}`))));
    exited.catch(() => undefined);
    try {
      await Promise.race([
        exited,
        waitFor('the Ironic API and conductor', 90_000, async () => {
          const res = await fetch(`${url}/v1/drivers`, { headers: { 'X-OpenStack-Ironic-API-Version': '1.80', ...(ks ? { 'X-Auth-Token': 'probe' } : {}) } });
          if (ks) return res.status === 401 || res.ok ? true : undefined; // keystone-protected: up once it answers
          const body = (await res.json()) as { drivers?: { name: string }[] };
          return body.drivers?.some((d) => d.name === hardwareType) ? true : undefined;
        }),
      ]);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  client(token?: () => Promise<string | undefined>): IronicClient {
    return new IronicClient({ endpoint: this.url, ...(token ? { token } : {}) });
  }

  logTail(lines = 60): string {
    const f = join(this.dir, 'log', 'ironic.log');
    const text = existsSync(f) ? readFileSync(f, 'utf8') : readFileSync(join(this.dir, 'log', 'stdout.log'), 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  }

  async stop(keep = Boolean(process.env.ANVIL_KEEP_IRONIC)): Promise<void> {
    await stopProcessGroup(this.proc);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM to a detached child's process group, SIGKILL after 10 s; resolves once it has exited. */
export async function stopProcessGroup(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || !p.pid) return;
  const gone = new Promise((r) => p.once('exit', r));
  process.kill(-p.pid, 'SIGTERM');
  const t = setTimeout(() => p.pid && process.kill(-p.pid, 'SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

/** fake-hardware with custom-agent: power, boot and management are fake, the deploy is the agent's. Left manageable, or available with `provide`. */
export async function enrollNode(client: IronicClient, o: { name: string; mac: string; instanceInfo?: Record<string, unknown>; driverInfo?: Record<string, unknown>; automatedClean?: boolean; provide?: boolean }): Promise<IronicNodeT> {
  const node = await client.createNode({
    name: o.name,
    driver: 'fake-hardware',
    deploy_interface: 'custom-agent',
    boot_interface: 'fake',
    power_interface: 'fake',
    management_interface: 'fake',
    network_interface: 'noop',
    driver_info: o.driverInfo ?? {},
    properties: { cpus: 2, memory_mb: 2048, local_gb: 1 },
    ...(o.automatedClean !== undefined ? { automated_clean: o.automatedClean } : {}),
  });
  await client.createPort(node.uuid, o.mac);
  if (o.instanceInfo) await client.patchNode(node.uuid, Object.entries(o.instanceInfo).map(([k, v]) => ({ op: 'add', path: `/instance_info/${k}`, value: v })));
  await client.setProvisionState(node.uuid, 'manage');
  await client.waitForProvisionState(node.uuid, ['manageable'], { timeoutMs: 60_000, intervalMs: 300 });
  if (o.provide) {
    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
  }
  return node;
}
