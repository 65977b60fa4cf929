import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { compilePlan, type Action, type CompiledPlan } from '@anvil/shared';
import { examples } from '../helpers/examples';
import { run } from '../helpers/tools';

/**
 * The compiled commands are real: run the wipe, table and partition commands of a plan with the real
 * sgdisk, parted, sfdisk, wipefs and dd against sparse image files of the inventory's sizes, then read
 * the tables back with `sfdisk --json` and compare every partition with the plan's sectors.
 */
interface SfdiskJson {
  partitiontable: { label: 'gpt' | 'dos'; partitions?: Array<{ node: string; start: number; size: number; type: string; name?: string }> };
}

const work = mkdtempSync(join(tmpdir(), 'anvil-tables-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Sparse files of the inventory's disk sizes, standing in for its devices: device path → file. */
function diskFiles(inventory: { disks: Array<{ name: string; size: number | string }> }, tag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const d of inventory.disks) {
    const file = join(work, `${tag}-${d.name.replace(/\//g, '_')}.img`);
    writeFileSync(file, '');
    truncateSync(file, Number(d.size));
    map.set(d.name, file);
  }
  return map;
}

const RUNNABLE = new Set<Action['kind']>(['wipe', 'create_table', 'create_partition']);

/** Runs the runnable commands exactly as compiled, with each disk's path swapped for its file. */
function execute(compiled: CompiledPlan, files: ReadonlyMap<string, string> = new Map()): void {
  for (const a of compiled.actions) {
    if (!RUNNABLE.has(a.kind)) continue;
    for (const c of a.commands) run(c.argv.map((arg) => files.get(arg) ?? arg.replace(/^of=(.*)$/, (m, dev: string) => (files.has(dev) ? `of=${files.get(dev)!}` : m))), c.stdin);
  }
}

function readBack(file: string): SfdiskJson['partitiontable'] {
  return (JSON.parse(run(['sfdisk', '--json', file])) as SfdiskJson).partitiontable;
}

function assertMatches(compiled: CompiledPlan, files: ReadonlyMap<string, string> = new Map()): number {
  let checked = 0;
  for (const disk of compiled.disks) {
    const planned = compiled.actions.filter((a): a is Extract<Action, { kind: 'create_partition' }> => a.kind === 'create_partition' && a.disk === disk);
    if (planned.length === 0) continue;
    const table = readBack(files.get(disk) ?? disk);
    const found = new Map((table.partitions ?? []).map((p) => [Number(/(\d+)$/.exec(p.node)![1]), p]));
    expect(found.size).toBe(planned.length);
    for (const p of planned) {
      const got = found.get(p.number);
      expect(got).toBeDefined();
      expect(got!.start).toBe(Number(p.startSector));
      if (p.role !== 'extended') expect(got!.size).toBe(Number(p.endSector) - Number(p.startSector) + 1);
      if (p.typeGuid) expect(got!.type.toUpperCase()).toBe(p.typeGuid);
      if (p.mbrType !== undefined && p.role !== 'extended') expect(parseInt(got!.type, 16)).toBe(p.mbrType);
      if (p.role === 'extended') expect([0x05, 0x0f, 0x85]).toContain(parseInt(got!.type, 16));
      checked += 1;
    }
    expect(table.label).toBe(planned[0]!.typeGuid ? 'gpt' : 'dos');
  }
  return checked;
}

describe('compiled partition commands against real tools', () => {
  for (const ex of examples()) {
    const plan = JSON.parse(ex.planText) as { policy?: { data?: string } };
    if (plan.policy?.data === 'verify') continue;
    it(`${ex.name}: sgdisk/parted/sfdisk produce exactly the planned sectors`, () => {
      const files = diskFiles(ex.inventory as never, ex.name);
      const r = compilePlan(ex.planText, { inventory: ex.inventory });
      expect(r.report.valid).toBe(true);
      execute(r.compiled!, files);
      expect(assertMatches(r.compiled!, files)).toBeGreaterThan(0);
      for (const f of files.values()) rmSync(f);
    });
  }

  it('wipe removes an old table and signatures at both ends', () => {
    const file = join(work, 'dirty.img');
    writeFileSync(file, '');
    truncateSync(file, 256 * 1024 * 1024);
    run(['sgdisk', '--new=1:2048:+10M', file]);
    const plan = { version: 1, disks: [{ id: 'd', select: { name: file.replace(/^\/dev\//, '') }, table: 'none' as const }] };
    const r = compilePlan(plan, { inventory: { disks: [{ name: file, size: 256 * 1024 * 1024 }] } });
    execute(r.compiled!);
    expect(() => readBack(file)).toThrow();
    expect(run(['wipefs', '--no-act', '--output', 'TYPE', '--noheadings', file]).trim()).toBe('');
  });

  it('holds for generated layouts (property, real tools)', () => {
    let n = 0;
    const sizeArb = fc.oneof(fc.integer({ min: 1, max: 300 }).map((x) => `${x}MiB`), fc.integer({ min: 1, max: 20 }).map((x) => `${x}%`), fc.integer({ min: 1, max: 900 }).map((x) => `${x} MB`));
    fc.assert(
      fc.property(
        fc.record({
          msdos: fc.boolean(),
          sizeMiB: fc.integer({ min: 64, max: 8192 }),
          parts: fc.array(sizeArb, { minLength: 1, maxLength: 2 }),
          logical: fc.array(sizeArb, { minLength: 1, maxLength: 3 }),
          remaining: fc.boolean(),
          configdrive: fc.boolean(),
        }),
        (g) => {
          const file = join(work, `gen-${n++}.img`);
          writeFileSync(file, '');
          truncateSync(file, g.sizeMiB * 1024 * 1024);
          const partitions: Array<Record<string, unknown>> = g.parts.map((size, i) => ({ id: `p${i}`, size }));
          if (g.msdos) partitions.push({ id: 'ext', kind: 'extended', size: 'remaining', logical: g.logical.map((size, i) => ({ id: `l${i}`, size })) });
          else if (g.remaining) partitions.push({ id: 'rest', size: 'remaining' });
          const plan = {
            version: 1,
            disks: [{ id: 'd', select: { name: file }, table: g.msdos ? 'msdos' : 'gpt', partitions }],
            ...(g.configdrive ? { configdrive: { disk: 'd', size: '4MiB', source: { meta_data: {} } } } : {}),
          };
          const r = compilePlan(plan, { inventory: { disks: [{ name: file, size: g.sizeMiB * 1024 * 1024 }] } });
          if (r.compiled) {
            execute(r.compiled);
            assertMatches(r.compiled);
          }
          rmSync(file);
        },
      ),
      { numRuns: 12, seed: 99 },
    );
  });
});
