import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcessGroup, waitFor } from './ironic';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export function rabbitmqInstalled(): boolean {
  return existsSync(SERVER);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Debian's RabbitMQ on 127.0.0.1, run without systemd: its own node name, ports, Mnesia and log folders,
 * epmd on a port of its own (epmd daemonises out of the server's process group, so stop() finds it by that
 * port in its environment and stops it by its own pid). `guest`/`guest` works on loopback.
 */
export class RabbitMQServer {
  private proc?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly epmdPort: number,
  ) {}

  /** The oslo.messaging transport URL. */
  get transportUrl(): string {
    return `rabbit://guest:guest@127.0.0.1:${this.port}/`;
  }

  static async start(): Promise<RabbitMQServer> {
    if (!rabbitmqInstalled()) throw new Error('RabbitMQ is not installed: run `npm run setup` as root');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-rabbitmq-'));
    for (const d of ['home', 'mnesia', 'log']) mkdirSync(join(dir, d));
    const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
    const r = new RabbitMQServer(dir, port, epmdPort);
    writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users.guest = true\n`);
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    const out = openSync(join(dir, 'log', 'stdout.log'), 'a');
    r.proc = spawn(SERVER, [], {
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        HOME: join(dir, 'home'),
        RABBITMQ_NODENAME: `anvil${port}@localhost`,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      },
    });
    try {
      await waitFor('RabbitMQ', 90_000, async () => ((await listening(port)) ? true : undefined), 300);
    } catch (err) {
      await r.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${r.logTail()}`);
    }
    return r;
  }

  logTail(lines = 30): string {
    const f = join(this.dir, 'log', 'stdout.log');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '';
  }

  async stop(): Promise<void> {
    await stopProcessGroup(this.proc);
    // epmd left the server's process group when it daemonised: it is the one listening on our epmd port.
    for (const pid of epmdPids(this.epmdPort)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The epmd processes started with ERL_EPMD_PORT=port (read from /proc: their environment names it). */
function epmdPids(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.split('\0')[0]?.endsWith('epmd')) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`ERL_EPMD_PORT=${port}`)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
