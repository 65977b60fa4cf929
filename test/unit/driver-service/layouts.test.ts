import { PLAN_LIMITS, silentLogger } from '@anvil/shared';
import { serveApp } from '../../helpers/service-app';
import type { ServiceDeps } from '../../../driver-service/src/deps';
import { checkLayout } from '../../../driver-service/src/layouts/check';
import { LayoutChecker } from '../../../driver-service/src/layouts/checker';

/*
 * `PUT /v1/layouts/{name}` against the plan's bounds (issue 15, found when the service was probed, items 2, 4 and
 * 9): a layout beyond them is a 422 with its entries, never a 500 or a stored layout; a description has a length.
 */

interface Stored {
  name: string;
  description?: string;
  plan: Record<string, unknown>;
}

const stored: Stored[] = [];
let base = '';
let close: () => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  const open = (): ((_req: unknown, _res: unknown, next: () => void) => void) => (_req, _res, next) => next();
  const deps = {
    log: silentLogger(),
    auth: { require: open },
    repo: {
      putLayout: (l: Stored) => {
        stored.push(l);
        return Promise.resolve({ ...l, default: false, updated_at: new Date(0).toISOString() });
      },
    },
    metrics: {},
    config: { capability_failures_per_minute: 30 },
    writer: { audit: () => undefined },
  } as unknown as ServiceDeps;
  ({ base, close } = await serveApp(deps));
});
afterAll(() => close());
beforeEach(() => (stored.length = 0));

const plan = (partitions: unknown[] = [{ id: 'root', size: 'remaining' }]): Record<string, unknown> => ({
  version: 1,
  disks: [{ id: 'd0', select: { name: 'sda' }, partitions }],
  filesystems: partitions.length === 1 ? [{ id: 'fs', device: 'root', type: 'ext4', mount: { path: '/' } }] : [],
});

async function put(body: string): Promise<{ status: number; body: { code: string; message: string; entries?: Array<{ code: string; pointer: string }> } }> {
  const res = await fetch(`${base}/v1/layouts/bounded`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, body: (await res.json()) as { code: string; message: string; entries?: Array<{ code: string; pointer: string }> } };
}

describe('storing a layout within the plan bounds', () => {
  it('answers a plan nested 10,000 deep with 422 plan.too_deep at its pointer, not a 500', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const r = await put(`{"plan": {"version": 1, "disks": [], "configdrive": {"disk": "d0", "source": {"meta_data": {"x": ${deep}}}}}}`);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('layout.invalid');
    expect(r.body.entries).toEqual([expect.objectContaining({ code: 'plan.too_deep', pointer: `/plan/configdrive/source/meta_data/x${'/0'.repeat(59)}` })]);
    expect(stored).toEqual([]);
  });

  it('answers a plan with more partitions than a disk holds with 422 plan.too_many before filling it (a body checked in the worker thread)', async () => {
    const parts = Array.from({ length: 60_000 }, (_, i) => ({ id: `p${i}`, size: '1MiB' }));
    const body = JSON.stringify({ plan: plan(parts) });
    expect(body.length).toBeLessThan(2 * 1024 * 1024);
    const r = await put(body);
    expect(r.status).toBe(422);
    expect(r.body.entries).toEqual([expect.objectContaining({ code: 'plan.too_many', pointer: '/disks/0/partitions' })]);
    expect(stored).toEqual([]);
  });

  it('answers sizes beyond any disk with 422 size.too_large', async () => {
    const r = await put(JSON.stringify({ plan: plan([{ id: 'root', size: '99999999999999999999999999TiB' }]) }));
    expect(r.status).toBe(422);
    expect(r.body.entries).toEqual([expect.objectContaining({ code: 'size.too_large', pointer: '/disks/0/partitions/0/size' })]);
    expect(stored).toEqual([]);
  });

  it('refuses a description longer than its bound (400 request.invalid) and stores one at it', async () => {
    const long = await put(JSON.stringify({ description: 'x'.repeat(PLAN_LIMITS.descriptionChars + 1), plan: plan() }));
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('request.invalid');
    expect(long.body.message).toContain('description');
    expect(long.body.message.length).toBeLessThan(300);
    expect(stored).toEqual([]);
    const fine = await put(JSON.stringify({ description: 'x'.repeat(PLAN_LIMITS.descriptionChars), plan: plan() }));
    expect(fine.status).toBe(200);
    expect(stored.map((l) => l.description?.length)).toEqual([PLAN_LIMITS.descriptionChars]);
  });
});

describe('the layout checker', () => {
  const checker = new LayoutChecker(0);
  afterAll(() => checker.close());

  it('answers in its worker thread what it answers on the event loop: a layout, a refusal, a parse error', async () => {
    const bodies = [
      JSON.stringify({ description: 'two', plan: plan() }),
      JSON.stringify({ plan: plan([{ id: 'root', size: '12 GiBs' }]) }),
      JSON.stringify({ plan: plan(Array.from({ length: 200 }, (_, i) => ({ id: `p${i}`, size: '1MiB' }))) }),
      '{"plan": {"version": 1, "version": 1}}',
      '{"plan": ',
    ];
    for (const body of bodies) expect(await checker.check(body, 'x')).toEqual(checkLayout(body, 'x'));
    expect(await checker.check(bodies[0], 'x')).toMatchObject({ ok: true, layout: { description: 'two', default: false } });
    expect(await checker.check(bodies[2], 'x')).toMatchObject({ ok: false, refused: { code: 'layout.invalid', status: 422 } });
  });
});
