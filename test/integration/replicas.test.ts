/**
 * Two driver-service replicas sharing PostgreSQL: they migrate once, see each other's writes (a node adopted
 * through one is served by the other, progress reported to one shows on both), keep one deployment per
 * deploy, and close it and rotate the capability once although both watch Ironic.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger } from '@anvil/shared';
import { IronicClient } from '@anvil/shared/openstack';
import { loadConfig, startService, type RunningService } from '../../driver-service/src';
import { AgentProcess } from '../helpers/agent-process';
import { FileServer } from '../helpers/http-server';
import { enrollNode, freePort, IronicServer, waitFor } from '../helpers/ironic';
import { hashDevice, LoopDisks } from '../helpers/loop';
import { PostgresServer } from '../helpers/postgres';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const loops = new LoopDisks();
const files = new FileServer();
const work = mkdtempSync(join(tmpdir(), 'anvil-replicas-test-'));
let pg: PostgresServer;
let ironic: IronicServer;
const replicas: RunningService[] = [];
const logs = [join(work, 'replica-a.log'), join(work, 'replica-b.log')];
const agents: AgentProcess[] = [];

const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  [pg, ironic] = await Promise.all([PostgresServer.start(), IronicServer.start()]);
  await files.start();
  const ports = [await freePort(), await freePort()];
  // Both replicas start at once against the empty database: the migration runs once, under Kysely's lock.
  // Agents reach the first one (its URL is in the capability URLs both write).
  replicas.push(
    ...(await Promise.all(
      logs.map(async (log, i) =>
        startService(
          loadConfig(undefined, { ANVIL_LISTEN_PORT: String(ports[i]), ANVIL_PUBLIC_URL: `http://127.0.0.1:${ports[0]}`, ANVIL_DATA_DIR: join(work, `data-${i}`), ANVIL_DATABASE_URL: pg.url, ANVIL_IRONIC_URL: ironic.url }),
          { log: createLogger({ name: `replica-${i}`, destination: pino.destination({ dest: log, sync: true }) }), watchIntervalMs: 300 },
        ),
      ),
    )),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(replicas.map((r) => r.close()));
  await files.stop();
  await ironic?.stop();
  await pg?.stop();
  loops.cleanup();
});

describe('two replicas on PostgreSQL', () => {
  it('share layouts, adoption and progress, and close each deploy exactly once', async () => {
    const [a, b] = replicas as [RunningService, RunningService];
    const api = async (r: RunningService, path: string, init?: RequestInit): Promise<Response> => fetch(`${r.url}${path}`, { ...init, headers: { 'content-type': 'application/json' } });

    const image = join(work, 'disk.img');
    writeFileSync(image, Buffer.concat([Buffer.alloc(MiB), randomBytes(11 * MiB)]));
    execFileSync(tool('sfdisk'), ['--quiet', image], { input: 'label: dos\nstart=2048, size=20480, type=83\n' });
    files.add('/disk.img', image, { rateBps: 2 * MiB });
    const dev = loops.create('replicas', 64 * MiB);

    // A layout written through one replica is the other's too.
    const layout = { plan: { version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', target: { disk: 'd' } }] } };
    expect((await api(a, '/v1/layouts/whole', { method: 'PUT', body: JSON.stringify(layout) })).status).toBe(200);
    expect(((await (await api(b, '/v1/layouts')).json()) as { layouts: { name: string }[] }).layouts.map((l) => l.name)).toEqual(['whole']);

    const client = new IronicClient({ endpoint: ironic.url });
    const mac = '52:54:00:dd:00:01';
    const node = await enrollNode(client, { name: 'replicated', mac, instanceInfo: { image_source: files.url('/disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: createHash('sha256').update(readFileSync(image)).digest('hex') }, provide: true });
    // Adopted through the replica agents do not talk to.
    expect((await api(b, `/v1/nodes/${node.uuid}/adopt`, { method: 'POST', body: JSON.stringify({ layout: 'whole' }) })).status).toBe(200);

    agents.push(await AgentProcess.start({ apiUrl: ironic.url, mac, disks: [dev], dir: join(work, 'agent') }));
    await client.setProvisionState(node.uuid, 'active');
    // While the agent writes, both replicas show the same deployment with its bytes.
    const seen = await waitFor('progress on both replicas', 60_000, async () => {
      const [da, db] = await Promise.all([a, b].map(async (r) => (await api(r, `/v1/deployments/${node.uuid}`)).json() as Promise<{ id?: string; bytes?: number | null; state?: string }>));
      return da!.id && da!.id === db!.id && (da!.bytes ?? 0) > 0 && da!.state === 'running' ? da : undefined;
    }, 200);
    await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    expect(hashDevice(dev, MiB, 11 * MiB)).toBe(createHash('sha256').update(readFileSync(image).subarray(MiB)).digest('hex'));

    const closed = await waitFor('the deployment to be closed', 30_000, async () => {
      const d = (await (await api(b, `/v1/deployments/${node.uuid}`)).json()) as { id: string; state: string; closed_at: string | null };
      return d.closed_at ? d : undefined;
    });
    expect(closed).toMatchObject({ id: seen.id, state: 'succeeded' });
    // Give the other replica's watcher a few rounds to (wrongly) do it again.
    await new Promise((r) => setTimeout(r, 1500));
    const closings = logs.flatMap(lines).filter((l) => l.msg === 'deploy over: capability rotated' && l.node_uuid === node.uuid);
    expect(closings).toHaveLength(1);
    // The capability in Ironic is the one the database knows: the new URL is refused only for the state.
    const url = String((await client.getNode(node.uuid)).driver_info.anvil_metadata_url);
    expect((await fetch(url)).status).toBe(409);
    // The agent's plan and reports went to the first replica; the second only adopted and watched.
    const agentRequests = logs.map((f) => lines(f).filter((l) => l.msg === 'request' && /\/v1\/(metadata|nodes\/[^/]+\/vendor_passthru)/.test(String(l.path))).length);
    expect(agentRequests[0]).toBeGreaterThan(1);
    expect(agentRequests[1]).toBe(0);
    expect(((await (await api(a, '/v1/deployments')).json()) as { deployments: { node_uuid: string }[] }).deployments.filter((d) => d.node_uuid === node.uuid)).toHaveLength(1);
    const closer = logs.findIndex((f) => lines(f).some((l) => l.msg === 'deploy over: capability rotated'));
    process.stdout.write(`replicas: agent requests per replica ${agentRequests.join(' / ')}; closed by replica ${closer}\n`);
  });
});
