import fc from 'fast-check';
import { compileValidated, gptUsable, validatePlan, type Action } from '@anvil/shared';
import { examples } from '../../../helpers/examples';
import { basePlan } from '../../../helpers/plans';

/** Numbers of runs are printed in the closing note of the work; keep them fixed. */
export const RUNS = { random: 400, mutated: 600, generated: 800 };

const noInternalError = (input: unknown, inventory?: unknown): void => {
  const r = validatePlan(input, inventory === undefined ? {} : { inventory });
  expect(r.report.entries.filter((e) => e.code === 'plan.internal_error')).toEqual([]);
  for (const e of r.report.entries) {
    expect(typeof e.code).toBe('string');
    expect(e.pointer === '' || e.pointer.startsWith('/')).toBe(true);
  }
};

type Path = Array<string | number>;

function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(doc: unknown, path: Path, op: 'delete' | 'replace' | 'duplicate', replacement: unknown): unknown {
  if (path.length === 0) return op === 'replace' ? replacement : doc;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else Reflect.deleteProperty(node, last);
  } else if (op === 'replace') node[last] = replacement;
  else if (Array.isArray(node)) node.splice(Number(last), 0, structuredClone(node[Number(last)]));
  else node[`${String(last)}_copy`] = structuredClone(node[last]);
  return copy;
}

const seeds: unknown[] = [basePlan(), ...examples().map((e) => JSON.parse(e.planText) as unknown)];
const inventories: unknown[] = [undefined, ...examples().map((e) => e.inventory)];

describe('property: the validator never crashes', () => {
  it('on random JSON values and random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.record({ version: fc.constant(1), disks: fc.jsonValue() })), (v) => noInternalError(v)),
      { numRuns: RUNS.random, seed: 42 },
    );
  });

  it('on mutated valid plans, with and without inventories', () => {
    const arb = fc
      .record({
        seed: fc.nat(seeds.length - 1),
        pick: fc.nat(),
        op: fc.constantFrom('delete' as const, 'replace' as const, 'duplicate' as const),
        replacement: fc.oneof(fc.jsonValue(), fc.constantFrom('remaining', '0', '100%', '-1', 'esp', 'd0', 'p1', '/', 'sda', 1e21, -5, null)),
        inv: fc.nat(inventories.length - 1),
        rounds: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ seed, pick, op, replacement, inv, rounds }) => {
        let doc = seeds[seed];
        for (let r = 0; r < rounds; r++) {
          const all = paths(doc);
          doc = mutate(doc, all[(pick + r * 7919) % all.length]!, op, replacement);
        }
        return { doc, inventory: inventories[inv] };
      });
    fc.assert(fc.property(arb, ({ doc, inventory }) => noInternalError(doc, inventory)), { numRuns: RUNS.mutated, seed: 7 });
  });
});

const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 2048 }).map((n) => `${n}MiB`),
  fc.integer({ min: 1, max: 30 }).map((n) => `${n}%`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${n} MB`),
  fc.integer({ min: 1, max: 64 }).map((n) => n * 512 * 7),
);

/** Sizes with at most one "remaining" (sometimes none), so that many generated plans are valid. */
const membersArb = (max: number): fc.Arbitrary<Array<string | number>> =>
  fc.record({ sizes: fc.array(sizeArb, { minLength: 0, maxLength: max }), remainingAt: fc.option(fc.nat(max), { nil: undefined }) }).map(({ sizes, remainingAt }) => {
    const out: Array<string | number> = [...sizes];
    if (remainingAt !== undefined) out.splice(Math.min(remainingAt, out.length), 0, 'remaining');
    return out;
  });

const diskArb = fc.oneof(
  fc.record({
    table: fc.constant('gpt' as const),
    sector: fc.constantFrom(512, 4096),
    sizeMiB: fc.integer({ min: 16, max: 64 * 1024 }),
    alignKiB: fc.constantFrom(4, 64, 1024, 4096),
    parts: membersArb(6),
    logical: fc.constant(undefined),
    configdrive: fc.boolean(),
  }),
  fc.record({
    table: fc.constant('msdos' as const),
    sector: fc.constantFrom(512, 4096),
    sizeMiB: fc.integer({ min: 16, max: 64 * 1024 }),
    alignKiB: fc.constantFrom(4, 64, 1024, 4096),
    parts: fc.array(sizeArb, { minLength: 0, maxLength: 2 }),
    logical: fc.option(membersArb(5), { nil: undefined }),
    configdrive: fc.boolean(),
  }),
);

describe('property: every accepted plan compiles to partitions inside their disk that never overlap', () => {
  it('holds for generated layouts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(diskArb, { minLength: 1, maxLength: 3 }), (disks) => {
        const plan = {
          version: 1,
          disks: disks.map((d, i) => {
            const partitions: Array<Record<string, unknown>> = d.parts.map((size, j) => ({ id: `d${i}p${j}`, size }));
            if (d.logical) partitions.push({ id: `d${i}ext`, size: 'remaining', kind: 'extended', logical: d.logical.map((size, k) => ({ id: `d${i}l${k}`, size })) });
            return { id: `d${i}`, select: { name: `sd${String.fromCharCode(97 + i)}` }, table: d.table, alignment: `${d.alignKiB}KiB`, partitions };
          }),
          ...(disks[0]!.configdrive ? { configdrive: { disk: 'd0', size: '8MiB', source: { meta_data: {} } } } : {}),
        };
        const inventory = {
          disks: disks.map((d, i) => ({ name: `/dev/sd${String.fromCharCode(97 + i)}`, size: d.sizeMiB * 1024 * 1024, logical_sector_size: d.sector })),
        };
        const v = validatePlan(plan, { inventory });
        expect(v.report.entries.filter((e) => e.code === 'plan.internal_error')).toEqual([]);
        if (!v.report.valid) return;
        accepted += 1;
        const compiled = compileValidated(v);
        const byDisk = new Map<string, Array<Extract<Action, { kind: 'create_partition' }>>>();
        for (const a of compiled.actions) if (a.kind === 'create_partition') byDisk.set(a.disk, [...(byDisk.get(a.disk) ?? []), a]);
        disks.forEach((d, i) => {
          const name = `/dev/sd${String.fromCharCode(97 + i)}`;
          const total = BigInt(d.sizeMiB) * 1024n * 1024n / BigInt(d.sector);
          const { first, last } = d.table === 'gpt' ? gptUsable(total, BigInt(d.sector)) : { first: 1n, last: total - 1n };
          const parts = byDisk.get(name) ?? [];
          for (const p of parts) {
            const s = BigInt(p.startSector);
            const e = BigInt(p.endSector);
            expect(s).toBeGreaterThanOrEqual(first);
            expect(e).toBeLessThanOrEqual(last);
            expect(e).toBeGreaterThanOrEqual(s);
          }
          const top = parts.filter((p) => p.role !== 'logical');
          const logical = parts.filter((p) => p.role === 'logical');
          const disjoint = (xs: typeof parts): void => {
            const sorted = [...xs].sort((a, b) => (BigInt(a.startSector) < BigInt(b.startSector) ? -1 : 1));
            for (let k = 1; k < sorted.length; k++) expect(BigInt(sorted[k]!.startSector)).toBeGreaterThan(BigInt(sorted[k - 1]!.endSector));
          };
          disjoint(top);
          disjoint(logical);
          const ext = top.find((p) => p.role === 'extended');
          for (const l of logical) {
            expect(BigInt(l.startSector)).toBeGreaterThan(BigInt(ext!.startSector)); // the EBR sits before it
            expect(BigInt(l.endSector)).toBeLessThanOrEqual(BigInt(ext!.endSector));
          }
        });
      }),
      { numRuns: RUNS.generated, seed: 1234 },
    );
    // The generator must produce plans the validator accepts, or the property says nothing.
    expect(accepted).toBeGreaterThan(RUNS.generated / 10);
  });
});
