import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AnvilError, CODES, ERROR_FAMILIES, ERRORS, isErrorCode, silentLogger, statusOf } from '@anvil/shared';
import { serveApp } from '../../../helpers/service-app';
import type { ServiceDeps } from '../../../../driver-service/src/deps';

const ROOT = join(__dirname, '../../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.generated.ts') ? [p] : [];
  });
}
const SOURCES = ['shared/src', 'agent/src', 'driver-service/src'].flatMap((d) => sources(join(ROOT, d)));

describe('the error catalogue', () => {
  const doc = readFileSync(join(ROOT, 'docs/reference/error-codes.md'), 'utf8');

  it.each(Object.entries(ERRORS))('%s is well-formed and documented', (code, e) => {
    expect(code).toMatch(/^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$/);
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(600);
    expect(e.meaning).toMatch(/^\S.*\.$/);
    expect(e.action).toMatch(/^\S.*\.$/);
    expect(doc).toContain(`| \`${code}\` | ${e.status} |`);
  });

  it.each(Object.keys(ERROR_FAMILIES))('the family %s is documented and its codes carry their status', (family) => {
    expect(family).toMatch(/^[a-z]+\.http_<status>$/);
    expect(doc).toContain(`| \`${family}\` |`);
    const code = family.replace('<status>', '409');
    expect(isErrorCode(code)).toBe(true);
    if (isErrorCode(code)) expect(statusOf(code)).toBe(409);
  });

  it('knows codes from anywhere, refuses others', () => {
    expect(isErrorCode('image.checksum_mismatch')).toBe(true);
    expect(isErrorCode('ironic.http_404')).toBe(true);
    expect(isErrorCode('nova.http_404')).toBe(false);
    expect(isErrorCode('image.no_such_code')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it('gives AnvilError its default status; an explicit one still wins', () => {
    expect(new AnvilError('exec.command_failed', 'x').status).toBe(500);
    expect(new AnvilError('layout.not_found', 'x').status).toBe(404);
    expect(new AnvilError('ironic.http_409', 'x').status).toBe(409);
    expect(new AnvilError('exec.command_failed', 'x', {}, 503).status).toBe(503);
  });

  // The typed code parameter catches literals at compile time; this catches what a cast or a code built at run
  // time (a variable, a ternary, a JSON body's `code:`) would slip past it.
  it('catalogues every code literal the source tree hands to AnvilError or answers with', () => {
    const found = new Map<string, string>();
    // `code:` fields and `code` variables are also validation report entries (shared/src/validate); those codes
    // have their own catalogue.
    const answered = new Map<string, string>();
    const literal = /'([a-z][a-z0-9]*\.[a-z][a-z0-9_]*)'/g;
    for (const file of SOURCES) {
      const text = readFileSync(file, 'utf8');
      // new AnvilError('x.y', …), possibly on the next line, or a choice: new AnvilError(c ? 'x.y' : 'z.w', …).
      for (const m of text.matchAll(/AnvilError\(\s*([^,]+),/g)) for (const l of m[1]!.matchAll(literal)) found.set(l[1]!, file);
      // const code = cond ? 'x.y' : 'z.w'; … new AnvilError(code, …)
      for (const m of text.matchAll(/const code = ([^;\n]+)/g)) for (const l of m[1]!.matchAll(literal)) answered.set(l[1]!, file);
      // { code: 'x.y', … } answered by hand, and the agent's anvil_code.
      for (const m of text.matchAll(/\b(?:anvil_code|code): (?:[^,}\n]*\? )?'([a-z]+\.[a-z_]+)'/g)) answered.set(m[1]!, file);
      for (const m of text.matchAll(/\bcode: [^,}\n]*\? '([a-z]+\.[a-z_]+)' : '([a-z]+\.[a-z_]+)'/g)) for (const c of [m[1]!, m[2]!]) answered.set(c, file);
    }
    for (const [code, file] of answered) if (!Object.hasOwn(CODES, code)) found.set(code, file);
    expect(found.size).toBeGreaterThan(90);
    // The hand-built ones are there too (a regex that silently stopped matching would pass vacuously).
    for (const c of ['image.download_failed', 'agent.unexpected', 'service.error', 'request.invalid']) expect(found.has(c)).toBe(true);
    const missing = [...found].filter(([code]) => !isErrorCode(code)).map(([code, file]) => `${code} (${file.slice(ROOT.length + 1)})`);
    expect(missing).toEqual([]);
  });
});

describe("the driver-service's one error handler", () => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    const open = (): ((_req: unknown, _res: unknown, next: () => void) => void) => (_req, _res, next) => next();
    // Only what these routes touch: a database that does not answer, an open door, a layout store.
    const deps = {
      log: silentLogger(),
      auth: { require: open },
      repo: { ping: () => Promise.reject(new Error('database is down')) },
      ironic: { ping: () => Promise.resolve() },
      metrics: {},
      config: { capability_failures_per_minute: 30 },
      writer: { audit: () => undefined },
    } as unknown as ServiceDeps;
    ({ base, close } = await serveApp(deps));
  });
  afterAll(() => close());

  it('answers a service that is not ready with 503 service.not_ready', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'service.not_ready', message: 'database is down', details: {} });
  });

  it('answers an invalid layout with 422 layout.invalid and the entries beside the code', async () => {
    const plan = { version: 1, disks: [{ id: 'd', select: { name: '/dev/sda' }, partitions: [{ id: 'p', size: '12 GiBs' }] }] };
    const res = await fetch(`${base}/v1/layouts/broken`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan }) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; entries: unknown[]; details: Record<string, unknown> };
    expect(body).toMatchObject({ code: 'layout.invalid', entries: expect.arrayContaining([expect.objectContaining({ pointer: '/disks/0/partitions/0/size', code: 'size.invalid', severity: 'error' })]) });
    expect(body.details).toEqual({});
  });

  it('answers request.invalid for a body that is not JSON and request.not_found for no route', async () => {
    const bad = await fetch(`${base}/v1/layouts/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'request.invalid' });
    const none = await fetch(`${base}/v1/nowhere`);
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ code: 'request.not_found' });
  });
});
