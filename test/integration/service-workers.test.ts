/**
 * The driver-service as its command runs it with two workers (node:cluster) over one SQLite file, against a
 * real Ironic: both workers answer on the one port, a report written by one worker reaches a server-sent
 * event stream held by the other, only the leader (worker 0) follows the deploy in Ironic and closes it once
 * (the capability rotated), the report that ends a deploy is read back at once from either worker, and SIGTERM stops the primary and its workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IronicClient } from '@anvil/shared/openstack';
import { LAYOUT } from '../helpers/service-store';
import { enrollNode, freePort, IronicServer, stopProcessGroup, waitFor } from '../helpers/ironic';

const work = mkdtempSync(join(tmpdir(), 'anvil-workers-test-'));
const logFile = join(work, 'service.log');
let ironic: IronicServer;
let svc: ChildProcess | undefined;
let url: string;

/** One request on a connection of its own (so the cluster may hand it to either worker). */
const once = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ res: IncomingMessage; text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ res, text }));
    });
    req.on('error', reject);
    req.end(body);
  });

const logLines = (): Record<string, unknown>[] =>
  readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  ironic = await IronicServer.start();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const out = openSync(logFile, 'a');
  svc = spawn(process.execPath, [join(__dirname, '../../driver-service/bin/anvil-driver-service.cjs')], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ANVIL_WORKERS: '2', ANVIL_LISTEN_PORT: String(port), ANVIL_PUBLIC_URL: url, ANVIL_IRONIC_URL: ironic.url, ANVIL_DATA_DIR: join(work, 'data'), ANVIL_NODE_CACHE_MS: '500', ANVIL_LOG_LEVEL: 'info', ANVIL_PROGRESS_FLUSH_MS: '3000' },
  });
  // The primary says so once every worker listens.
  await waitFor('the driver-service’s workers', 60_000, async () => (logLines().some((l) => l.msg === 'driver-service workers listening') ? true : undefined), 200);
}, 180_000);

afterAll(async () => {
  await stopProcessGroup(svc);
  await ironic?.stop();
});

describe('the driver-service on two workers', () => {
  it('serves from both, fans progress out across them, and closes a deploy once', async () => {
    // Both workers answer on the one port.
    const workers = new Set<string>();
    for (let i = 0; i < 20 && workers.size < 2; i++) workers.add(String((await once('GET', '/healthz')).res.headers['x-anvil-worker']));
    expect([...workers].sort()).toEqual(['0', '1']);

    expect((await once('PUT', '/v1/layouts/whole', { 'content-type': 'application/json' }, JSON.stringify({ plan: LAYOUT, default: true }))).res.statusCode).toBe(200);
    const client = new IronicClient({ endpoint: ironic.url });
    const node = await enrollNode(client, { name: 'workers', mac: '52:54:00:ee:00:01', automatedClean: false, provide: true, instanceInfo: { image_source: 'http://127.0.0.1:1/root.tar.gz', image_checksum: 'f'.repeat(64) } });
    const adopted = await once('POST', `/v1/nodes/${node.uuid}/adopt`, { 'content-type': 'application/json' }, '{}');
    expect(adopted.res.statusCode).toBe(200);
    const metadataUrl = (JSON.parse(adopted.text) as { metadata_url: string }).metadata_url;
    const secret = decodeURIComponent(metadataUrl.split('/').at(-1)!);
    await client.setProvisionState(node.uuid, 'active');
    await waitFor('the node in wait call-back', 60_000, async () => ((await client.getNode(node.uuid)).provision_state === 'wait call-back' ? true : undefined), 300);
    const plan = await once('GET', new URL(metadataUrl).pathname);
    expect(plan.res.statusCode).toBe(200);
    expect(JSON.parse(plan.text)).toMatchObject({ metadata: { node_uuid: node.uuid } });

    // A stream held by one worker …
    const events: { bytes: number | null; closed_at: string | null }[] = [];
    const stream = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/v1/deployments/${node.uuid}/events`, { agent: false }, resolve).on('error', reject).end());
    const streamWorker = String(stream.headers['x-anvil-worker']);
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      buffer += c;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
        buffer = buffer.slice(i + 2);
        if (data) events.push(JSON.parse(data) as { bytes: number | null; closed_at: string | null });
      }
    });
    // … is told of a report the other worker took.
    let other: string | undefined;
    for (let seq = 1; seq <= 40 && other === undefined; seq++) {
      const r = await once('POST', `/v1/nodes/${node.uuid}/vendor_passthru/progress`, { 'content-type': 'application/json', 'x-anvil-capability': secret }, JSON.stringify({ events: [{ type: 'progress', seq, id: 'os', bytes: 4242, total: 8484, rate_bps: 1 }] }));
      expect(r.res.statusCode).toBe(202);
      if (String(r.res.headers['x-anvil-worker']) !== streamWorker) other = String(r.res.headers['x-anvil-worker']);
    }
    expect(other).toBeDefined();
    await waitFor('the report on the other worker’s stream', 20_000, async () => (events.some((e) => e.bytes === 4242) ? true : undefined), 100);

    // The report that ends the deploy is written before its 202 (reports are otherwise written every 3 s here):
    // whichever worker is asked next reads the deploy as over.
    const done = await once('POST', `/v1/nodes/${node.uuid}/vendor_passthru/progress`, { 'content-type': 'application/json', 'x-anvil-capability': secret }, JSON.stringify({ events: [{ type: 'done', result: 'ok', duration_ms: 1000 }] }));
    expect(done.res.statusCode).toBe(202);
    for (let i = 0; i < 4; i++) expect(JSON.parse((await once('GET', `/v1/deployments/${node.uuid}`)).text)).toMatchObject({ state: 'succeeded' });

    // Ironic ends the deploy: the leader closes it and rotates the capability, once.
    await client.setProvisionState(node.uuid, 'deleted');
    await waitFor('the deployment closed on the stream', 60_000, async () => (events.some((e) => e.closed_at) ? true : undefined), 200);
    stream.destroy();
    await new Promise((r) => setTimeout(r, 2000)); // a few more watch rounds, for a second closing that must not come
    const closings = logLines().filter((l) => l.msg === 'deploy over: capability rotated' && l.node_uuid === node.uuid);
    expect(closings).toEqual([expect.objectContaining({ worker: 0 })]);
    expect((await client.getNode(node.uuid)).driver_info.anvil_metadata_url).not.toBe(metadataUrl);
    expect((await once('GET', new URL(metadataUrl).pathname)).res.statusCode).toBe(403);
    expect(logLines().filter((l) => l.msg === 'driver-service listening').map((l) => [l.worker, l.leader])).toEqual(expect.arrayContaining([[0, true], [1, false]]));
  });

  it('stops its workers on SIGTERM', async () => {
    const pids = logLines().filter((l) => l.msg === 'driver-service listening').map((l) => Number(l.pid));
    expect(pids).toHaveLength(2);
    await stopProcessGroup(svc);
    expect(svc!.exitCode ?? svc!.signalCode).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    svc = undefined;
  });
});
