import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@anvil/shared';
import { loadConfig, startService, type RunningService } from '../../driver-service/src';
import type { AgentProcess } from './agent-process';
import { FileServer } from './http-server';
import { freePort, IronicServer, type IronicStartOptions } from './ironic';
import { LoopDisks } from './loop';

export interface DriverServiceOptions {
  /** The name the suite's work folder starts with (in the system temporary folder). */
  readonly prefix: string;
  /** Settings beyond the port, public URL, data folder and Ironic URL, as ANVIL_* variables. */
  readonly env?: (work: string) => NodeJS.ProcessEnv;
  /** The service's logger (default: silent), e.g. to a file in the work folder that the suite reads. */
  readonly log?: (work: string) => Logger;
  /** How Ironic is started, knowing the URL the service will have (e.g. for the conductor plugin's [anvil]service_url). */
  readonly ironic?: (serviceUrl: string) => IronicStartOptions;
}

export interface DriverServiceRig {
  /** The suite's work folder; the service keeps its data in `data` below it. */
  readonly work: string;
  readonly loops: LoopDisks;
  /** Serves the suite's images over HTTP (started with the service). */
  readonly files: FileServer;
  /** Agents the suite starts: stopped before the service is. */
  readonly agents: AgentProcess[];
  readonly ironic: IronicServer;
  readonly service: RunningService;
  /** A JSON request to the service's API. */
  readonly api: (path: string, init?: RequestInit) => Promise<Response>;
}

/**
 * A real Ironic, a file server and the driver-service on a free port pointed at that Ironic, started before the
 * suite's tests; after them its agents, the service, the file server and Ironic are stopped and its loop devices
 * removed. Call it once, at the top of the test file.
 */
export function useDriverService(o: DriverServiceOptions): DriverServiceRig {
  const work = mkdtempSync(join(tmpdir(), o.prefix));
  const loops = new LoopDisks();
  const files = new FileServer();
  const agents: AgentProcess[] = [];
  let ironic: IronicServer | undefined;
  let service: RunningService | undefined;
  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`${what} starts in beforeAll: use it inside a test`);
    return value;
  };

  beforeAll(async () => {
    const port = await freePort();
    ironic = await IronicServer.start(o.ironic?.(`http://127.0.0.1:${port}`));
    await files.start();
    const config = loadConfig(undefined, {
      ANVIL_LISTEN_PORT: String(port),
      ANVIL_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ANVIL_DATA_DIR: join(work, 'data'),
      ANVIL_IRONIC_URL: ironic.url,
      ...o.env?.(work),
    });
    service = await startService(config, { log: o.log?.(work) ?? silentLogger(), watchIntervalMs: 500 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await service?.close();
    await files.stop();
    await ironic?.stop();
    loops.cleanup();
  });

  return {
    work,
    loops,
    files,
    agents,
    get ironic() {
      return started('Ironic', ironic);
    },
    get service() {
      return started('the driver-service', service);
    },
    api: (path, init) => fetch(`${started('the driver-service', service).url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } }),
  };
}
