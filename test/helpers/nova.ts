import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, renderIni, stopProcessGroup, waitFor, type IniSections } from './ironic';
import type { KeystoneServer } from './keystone';

/*
 * Debian's Placement, Neutron and Nova (Zed) on 127.0.0.1, each configured in a temporary folder and run
 * without systemd, authenticating as the Keystone helper's `ironic` service user (admin and service roles
 * on the `service` project). Recorded recipe and pitfalls: ../shared/lab/nova/NOTES.md, ../shared/lab/neutron.
 */

export function novaInstalled(): boolean {
  return ['/usr/bin/nova-api', '/usr/bin/nova-compute', '/usr/bin/placement-api', '/usr/bin/neutron-server', '/usr/bin/ironic-neutron-agent'].every((f) => existsSync(f));
}

/** A process of the stack: its log, its process group, stopped by stop(). */
class Daemon {
  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    readonly log: string,
  ) {}

  tail(lines = 40): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').slice(-lines).join('\n') : '';
  }
}

function start(name: string, dir: string, argv: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const log = join(dir, 'log', `${name}.stdout`);
  const out = openSync(log, 'a');
  const proc = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  return new Daemon(name, proc, log);
}

function run(dir: string, what: string, argv: string[]): void {
  const log = openSync(join(dir, 'log', `${what}.log`), 'a');
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log] });
}

const sqlite = (dir: string, name: string): string => `sqlite:///${join(dir, `${name}.sqlite`)}`;
const wal = (dir: string, name: string): void => void execFileSync('/usr/bin/sqlite3', [join(dir, `${name}.sqlite`), 'PRAGMA journal_mode=WAL;'], { stdio: 'ignore' });

/** Placement under uwsgi, SQLite in WAL mode. */
export class PlacementServer {
  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly daemon: Daemon,
  ) {}

  static async start(ks: KeystoneServer): Promise<PlacementServer> {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-placement-'));
    mkdirSync(join(dir, 'log'));
    const port = await freePort();
    writeFileSync(join(dir, 'placement.conf'), renderIni({ DEFAULT: { log_dir: join(dir, 'log'), use_stderr: false }, api: { auth_strategy: 'keystone' }, placement_database: { connection: sqlite(dir, 'placement') }, keystone_authtoken: ks.authtoken() }));
    run(dir, 'db-sync', ['/usr/bin/placement-manage', '--config-file', join(dir, 'placement.conf'), 'db', 'sync']);
    wal(dir, 'placement');
    const d = start('placement', dir, ['/usr/bin/uwsgi', '--plugin', 'python3', '--http-socket', `127.0.0.1:${port}`, '--wsgi-file', '/usr/bin/placement-api', '--master', '--processes', '1', '--threads', '1', '--die-on-term', '--need-app', '--add-header', 'Connection: close'], { OS_PLACEMENT_CONFIG_DIR: dir });
    const p = new PlacementServer(dir, `http://127.0.0.1:${port}`, d);
    await waitFor('Placement', 60_000, async () => ((await fetch(p.url)).ok ? true : undefined), 300).catch(async (err: unknown) => {
      await p.stop();
      throw new Error(`${String(err)}\n${d.tail()}`);
    });
    return p;
  }

  async stop(): Promise<void> {
    await stopProcessGroup(this.daemon.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface NeutronOptions {
  /** A PostgreSQL database for Neutron (alembic cannot migrate SQLite), e.g. `postgresql+psycopg2://…/neutron`. */
  readonly database: string;
  readonly transportUrl: string;
  /** The physical network the flat provider network and the Ironic ports name. */
  readonly physnet: string;
}

/**
 * neutron-server with ML2 (`flat` type, networking-baremetal's `baremetal` mechanism driver) and
 * ironic-neutron-agent, which reports a "Baremetal Node" agent per Ironic node so its ports can bind.
 */
export class NeutronServer {
  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly daemons: Daemon[],
  ) {}

  static async start(ks: KeystoneServer, ironicUrl: string, o: NeutronOptions): Promise<NeutronServer> {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-neutron-'));
    for (const d of ['log', 'state', 'lock']) mkdirSync(join(dir, d));
    const port = await freePort();
    const conf = join(dir, 'neutron.conf');
    const ml2 = join(dir, 'ml2_conf.ini');
    writeFileSync(
      conf,
      renderIni({
        DEFAULT: {
          bind_host: '127.0.0.1',
          bind_port: port,
          core_plugin: 'ml2',
          service_plugins: '',
          auth_strategy: 'keystone',
          transport_url: o.transportUrl,
          api_paste_config: '/etc/neutron/api-paste.ini',
          // The API in the main process, one RPC worker (the least it takes), state reports on that worker.
          api_workers: 0,
          rpc_workers: 1,
          rpc_state_report_workers: 0,
          notify_nova_on_port_status_changes: true,
          notify_nova_on_port_data_changes: true,
          log_dir: join(dir, 'log'),
          log_file: 'neutron-server.log',
          use_stderr: false,
          state_path: join(dir, 'state'),
        },
        database: { connection: o.database },
        keystone_authtoken: ks.authtoken(),
        nova: { ...ks.serviceAuth(), region_name: 'RegionOne', endpoint_type: 'public' },
        oslo_concurrency: { lock_path: join(dir, 'lock') },
        oslo_messaging_notifications: { driver: 'noop' },
      }),
    );
    writeFileSync(ml2, renderIni({ ml2: { type_drivers: 'flat', tenant_network_types: '', mechanism_drivers: 'baremetal', extension_drivers: 'port_security' }, ml2_type_flat: { flat_networks: o.physnet } }));
    run(dir, 'db-manage', ['/usr/bin/neutron-db-manage', '--config-file', conf, '--config-file', ml2, 'upgrade', 'heads']);
    const daemons = [start('neutron-server', dir, ['/usr/bin/neutron-server', '--config-file', conf, '--config-file', ml2])];
    const agentConf = join(dir, 'ironic_neutron_agent.ini');
    writeFileSync(agentConf, renderIni({ DEFAULT: { transport_url: o.transportUrl, log_dir: join(dir, 'log'), log_file: 'ironic-neutron-agent.log', use_stderr: false }, agent: { report_interval: 5 }, ironic: { ...ks.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public', endpoint_override: ironicUrl } }));
    daemons.push(start('ironic-neutron-agent', dir, ['/usr/bin/ironic-neutron-agent', '--config-file', agentConf]));
    const n = new NeutronServer(dir, `http://127.0.0.1:${port}`, daemons);
    await waitFor('neutron-server', 180_000, async () => ((await fetch(n.url)).status < 500 ? true : undefined), 500).catch(async (err: unknown) => {
      await n.stop();
      throw new Error(`${String(err)}\n${daemons[0]!.tail()}`);
    });
    return n;
  }

  async stop(): Promise<void> {
    for (const d of this.daemons) await stopProcessGroup(d.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface NovaOptions {
  readonly transportUrl: string;
  /** Extra nova.conf settings, merged over the defaults. */
  readonly conf?: IniSections;
}

/** Nova's API, conductor, scheduler and compute (the Ironic driver), cells v2 on SQLite in WAL mode. */
export class NovaServer {
  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly daemons: Daemon[],
  ) {}

  static async start(ks: KeystoneServer, o: NovaOptions): Promise<NovaServer> {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-nova-'));
    for (const d of ['log', 'state', 'instances', 'lock']) mkdirSync(join(dir, d));
    const port = await freePort();
    const conf = join(dir, 'nova.conf');
    const sections: IniSections = {
      DEFAULT: {
        host: 'anvil-ironic-compute',
        my_ip: '127.0.0.1',
        transport_url: o.transportUrl,
        log_dir: join(dir, 'log'),
        use_stderr: false,
        state_path: join(dir, 'state'),
        instances_path: join(dir, 'instances'),
        enabled_apis: 'osapi_compute',
        osapi_compute_listen: '127.0.0.1',
        osapi_compute_listen_port: port,
        osapi_compute_workers: 1,
        compute_driver: 'ironic.IronicDriver',
        reserved_host_memory_mb: 0,
        heal_instance_info_cache_interval: 0,
      },
      wsgi: { api_paste_config: '/etc/nova/api-paste.ini' },
      api: { auth_strategy: 'keystone' },
      api_database: { connection: sqlite(dir, 'nova_api') },
      database: { connection: sqlite(dir, 'nova_cell1') },
      conductor: { workers: 1 },
      scheduler: { workers: 1, discover_hosts_in_cells_interval: 2 },
      filter_scheduler: { track_instance_changes: false },
      keystone_authtoken: ks.authtoken(),
      placement: { ...ks.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public' },
      glance: { valid_interfaces: 'public', region_name: 'RegionOne' },
      neutron: { ...ks.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public' },
      ironic: { ...ks.serviceAuth(), region_name: 'RegionOne', valid_interfaces: 'public', api_max_retries: 60, api_retry_interval: 2 },
      oslo_concurrency: { lock_path: join(dir, 'lock') },
      vnc: { enabled: false },
      oslo_messaging_notifications: { driver: 'noop' },
    };
    for (const [k, v] of Object.entries(o.conf ?? {})) sections[k] = { ...sections[k], ...v };
    writeFileSync(conf, renderIni(sections));
    const manage = (what: string, ...args: string[]): void => run(dir, what, ['/usr/bin/nova-manage', '--config-file', conf, ...args]);
    manage('api-db-sync', 'api_db', 'sync');
    manage('map-cell0', 'cell_v2', 'map_cell0', '--database_connection', sqlite(dir, 'nova_cell0'));
    manage('create-cell', 'cell_v2', 'create_cell', '--name', 'cell1', '--database_connection', sqlite(dir, 'nova_cell1'), '--transport-url', o.transportUrl);
    manage('db-sync', 'db', 'sync');
    for (const db of ['nova_api', 'nova_cell0', 'nova_cell1']) wal(dir, db);
    const daemons = ['api', 'conductor', 'scheduler', 'compute'].map((s) => start(`nova-${s}`, dir, [`/usr/bin/nova-${s}`, '--config-file', conf]));
    const n = new NovaServer(dir, `http://127.0.0.1:${port}/v2.1`, daemons);
    await waitFor('nova-api', 120_000, async () => ((await fetch(n.url)).status < 500 ? true : undefined), 500).catch(async (err: unknown) => {
      await n.stop();
      throw new Error(`${String(err)}\n${daemons[0]!.tail()}`);
    });
    return n;
  }

  /** The tail of a service's log (`nova-compute`, …), for failure messages. */
  logTail(service: string, lines = 60): string {
    const f = join(this.dir, 'log', `${service}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : (this.daemons.find((d) => d.name === service)?.tail(lines) ?? '');
  }

  async stop(): Promise<void> {
    for (const d of this.daemons) await stopProcessGroup(d.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
