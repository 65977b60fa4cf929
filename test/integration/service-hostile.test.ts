/**
 * The driver-service and the agent's API against a hostile client (issue: found when the running service was
 * probed): bodies are read only after authorisation and only up to the route's limit; capability guessing is
 * rate-limited per source and audited in bounded records; mixed-case capability paths are no route and never
 * logged; `.`/`..` never reach Ironic's URL; a layout with a duplicate key is refused as `anvil plan validate`
 * refuses it. A real Ironic (fake-hardware) holds the node; the service logs to a file the test greps.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { createLogger, silentLogger } from '@anvil/shared';
import { CAPABILITY_HEADER, parseCapabilityUrl } from '@anvil/shared/protocol';
import { agentApp, listen, REFUSALS_PER_MINUTE } from '../../agent/src/ramdisk/api-server';
import type { CommandProcessor } from '../../agent/src/ramdisk/commands/registry';
import { useDriverService } from '../helpers/driver-service';
import { enrollNode } from '../helpers/ironic';

const GUESSES_PER_MINUTE = 5;
const rig = useDriverService({
  prefix: 'anvil-hostile-',
  env: () => ({ ANVIL_CAPABILITY_FAILURES_PER_MINUTE: String(GUESSES_PER_MINUTE) }),
  log: (work) => createLogger({ name: 'anvil-driver-service', level: 'info', destination: pino.destination({ dest: join(work, 'service.log'), sync: true }) }),
});
const { work } = rig;
const logFile = join(work, 'service.log');
let nodeUuid: string;
let secret: string;

const { api } = rig;
const progressPath = (node: string): string => `/v1/nodes/${node}/vendor_passthru/progress`;
const auditRows = (): Array<{ node_uuid: string; outcome: string; source: string | null }> => {
  const db = new Database(join(work, 'data', 'anvil.sqlite'), { readonly: true });
  try {
    return db.prepare('select node_uuid, outcome, source from audit order by id').all() as Array<{ node_uuid: string; outcome: string; source: string | null }>;
  } finally {
    db.close();
  }
};
/** A request with its path sent as written (fetch's URL parser would turn `%2e%2e` into `..` and walk up). */
function rawPost(path: string): Promise<{ status: number; body: { code?: string } }> {
  const u = new URL(rig.service.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string } }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}
const flushed = (): Promise<void> => new Promise((r) => setTimeout(r, 400));

beforeAll(async () => {
  const node = await enrollNode(rig.ironic.client(), { name: 'hostile-0', mac: '52:54:00:66:00:01' });
  nodeUuid = node.uuid;
  const adopted = await api(`/v1/nodes/${nodeUuid}/adopt`, { method: 'POST', body: '{}' });
  expect(adopted.status).toBe(200);
  secret = parseCapabilityUrl(((await adopted.json()) as { metadata_url: string }).metadata_url)!.secret;
}, 180_000);


describe('the driver-service against a hostile client', () => {
  it('refuses a wrong capability before reading the body (403, not 413, for 2 MiB); with the right one the body limit is 413 request.too_large', async () => {
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(2 * 1024 * 1024) });
    const wrong = await api(progressPath(nodeUuid), { method: 'POST', headers: { [CAPABILITY_HEADER]: 'not-the-secret' }, body: big });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('capability.refused');
    const right = await api(progressPath(nodeUuid), { method: 'POST', headers: { [CAPABILITY_HEADER]: secret }, body: big });
    expect(right.status).toBe(413);
    expect(((await right.json()) as { code: string }).code).toBe('request.too_large');
    const ok = await api(progressPath(nodeUuid), { method: 'POST', headers: { [CAPABILITY_HEADER]: secret }, body: JSON.stringify({ events: [] }) });
    expect(ok.status).toBe(202);
  });

  it('serves no route for a mixed-case capability path, and logs no secret whatever the case', async () => {
    const r = await api(`/V1/Metadata/${nodeUuid}/${secret}`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { code: string }).code).toBe('request.not_found');
    await api(`/v1/metadata/${nodeUuid}/${secret}`);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain(`/v1/metadata/${nodeUuid}/…`);
    expect(log).not.toContain(secret);
  });

  it('answers 400 for a node named . or .. without asking Ironic, and the other routes are case-sensitive too', async () => {
    for (const ident of ['%2e', '%2e%2e', '..', '..%2f..', 'a%20b']) {
      const r = await rawPost(`/v1/nodes/${ident}/adopt`);
      expect([ident, r.status, r.body.code]).toEqual([ident, 400, 'request.invalid']);
    }
    expect((await api('/V1/layouts')).status).toBe(404);
  });

  it('refuses a layout with a duplicate key as the CLI does (plan.duplicate_key at its line), and a body over the layout limit', async () => {
    const text = '{"plan": {"version": 1, "disks": [{"id": "d0", "select": {"name": "sda"}, "select": {"name": "sdb"}}]}}';
    const r = await api('/v1/layouts/dup', { method: 'PUT', body: text });
    expect(r.status).toBe(422);
    const body = (await r.json()) as { code: string; entries: Array<{ code: string; message: string; line?: number }> };
    expect(body.code).toBe('layout.invalid');
    expect(body.entries).toEqual([expect.objectContaining({ code: 'plan.duplicate_key', message: 'duplicate key "select"', line: 1 })]);
    const huge = await api('/v1/layouts/huge', { method: 'PUT', body: JSON.stringify({ description: 'x'.repeat(3 * 1024 * 1024), plan: { version: 1, disks: [] } }) });
    expect([huge.status, ((await huge.json()) as { code: string }).code]).toEqual([413, 'request.too_large']);
  });

  it(`rate-limits capability guessing per source: ${GUESSES_PER_MINUTE} refusals a minute, then 429 with one audit record; long node ids are audited short`, async () => {
    const before = auditRows().length;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await api(`/v1/metadata/${'f'.repeat(i % 2 ? 8000 : 36)}/guess-${i}`)).status);
    // the refusals above in this file count too (one wrong capability): the limit is reached within the first few
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(GUESSES_PER_MINUTE);
    expect(statuses.slice(-30)).toEqual(Array(30).fill(429));
    const limited = await api(`/v1/metadata/${nodeUuid}/another-guess`);
    expect([limited.status, ((await limited.json()) as { code: string }).code]).toEqual([429, 'capability.rate_limited']);
    await flushed();
    const rows = auditRows().slice(before);
    expect(rows.length).toBeLessThanOrEqual(GUESSES_PER_MINUTE + 1);
    expect(rows.filter((r) => r.outcome.startsWith('rate limited'))).toHaveLength(1);
    expect(Math.max(...rows.map((r) => r.node_uuid.length))).toBeLessThanOrEqual(64);
    const warnings = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"level":40') && l.includes('capability'));
    expect(warnings.length).toBeLessThanOrEqual(GUESSES_PER_MINUTE + 2);
  });
});

describe('the agent API against a hostile client', () => {
  const commands: CommandProcessor = { list: () => [], get: () => undefined, waitFor: () => Promise.resolve(undefined), execute: () => Promise.reject(new Error('no command may run in this test')) } as unknown as CommandProcessor;
  let url: string;
  let close: () => void;

  beforeAll(async () => {
    const { server, port } = await listen(agentApp({ commands, token: () => 'the-agent-token-0123456789abcdef0123', log: silentLogger(), startedAt: new Date() }), '127.0.0.1', 0);
    url = `http://127.0.0.1:${port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('refuses a wrong token before reading a 70 MiB body (401, not 413), and rate-limits the source after its refusals', async () => {
    const body = Buffer.alloc(70 * 1024 * 1024, 0x20);
    const first = await fetch(`${url}/v1/commands?agent_token=wrong`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(first.status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < REFUSALS_PER_MINUTE + 5; i++) statuses.push((await fetch(`${url}/v1/commands?agent_token=wrong-${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(statuses.filter((s) => s === 401).length).toBe(REFUSALS_PER_MINUTE - 1);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
  });
});
