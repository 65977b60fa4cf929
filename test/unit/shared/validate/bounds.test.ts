import { stringify } from 'yaml';
import { checkValueBounds, MAX_SIZE_BYTES, parseSource, PLAN_LIMITS, validatePlan, type ReportEntry } from '@anvil/shared';
import { basePlan, withPlan, type Json } from '../../../helpers/plans';

/*
 * The plan's bounds (shared/src/plan/limits.ts; issue 15, found when the service was probed, items 2, 4 and 9):
 * refused with their own codes and pointers, before the parse, the schema or any recursive code.
 */

const codes = (entries: readonly ReportEntry[]): string[] => entries.map((e) => e.code);
const boundEntries = (entries: readonly ReportEntry[]): ReportEntry[] => entries.filter((e) => e.code.startsWith('plan.'));
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

function partitions(n: number): Json {
  return withPlan((p) => {
    p.disks[0]!.partitions = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, size: '1MiB' }));
    p.filesystems = [];
  });
}

describe('plan bounds', () => {
  it('refuses the 14 MB layout of 420,000 partitions from the scan, before any of the plan is parsed', () => {
    const text = JSON.stringify(partitions(420_000));
    expect(text.length).toBeGreaterThan(12_000_000);
    const r = validatePlan(text);
    expect(r.report.valid).toBe(false);
    // Bound entries only: the validator's own rules (partition.too_many, the schema) never saw the plan.
    expect(r.plan).toBeUndefined();
    expect(codes(r.report.entries)).toEqual(['plan.too_many', 'plan.too_many', 'plan.too_large']);
    expect(r.report.entries[0]).toMatchObject({ pointer: '/disks/0/partitions', line: 1, message: 'more than 128 items; at most 128 here' });
    expect(r.report.entries[1]!.message).toContain('in the whole plan');
    // The scan stops at the value bound: it does not walk the other 12 MB.
    expect(r.report.entries[2]!.message).toContain(`more than ${PLAN_LIMITS.values.toLocaleString('en')} values`);
  });

  it('gives the same entry for a plan as JSON text, YAML text and data, with the count when the list was read to its end', () => {
    const plan = partitions(129);
    const expected = { code: 'plan.too_many', pointer: '/disks/0/partitions', message: '129 items; at most 128 here' };
    const json = validatePlan(JSON.stringify(plan, null, 2)).report.entries;
    const yaml = validatePlan(stringify(plan)).report.entries;
    const data = validatePlan(plan).report.entries;
    expect(json).toEqual([expect.objectContaining({ ...expected, line: 10, column: 21 })]);
    // YAML and data point at the list the same way.
    expect(yaml).toEqual([expect.objectContaining({ ...expected, line: 8, column: 7 })]);
    expect(data).toEqual([expect.objectContaining(expected)]);
  });

  it('takes 128 partitions as GPT does (what the plan may list), leaving the table check to the validator', () => {
    const r = validatePlan(partitions(128));
    expect(boundEntries(r.report.entries)).toEqual([]);
    expect(r.plan).toBeDefined();
  });

  it('bounds partitions in the whole plan too: 40 disks of 110 partitions pass each disk bound, not the plan-wide 4,096', () => {
    const plan = withPlan((p) => {
      p.disks = Array.from({ length: 40 }, (_, d) => ({ id: `d${d}`, select: { serial: `s${d}` }, partitions: Array.from({ length: 110 }, (_, i) => ({ id: `d${d}p${i}`, size: '1MiB' })) }));
      p.filesystems = [];
    });
    const message = 'more than 4,096 items at `/disks/*/partitions` in the whole plan; at most 4,096';
    // The list that passes the total is the one named (the 38th disk's: 37 × 110 = 4,070 before it).
    for (const input of [JSON.stringify(plan), plan]) expect(validatePlan(input).report.entries).toEqual([expect.objectContaining({ code: 'plan.too_many', pointer: '/disks/37/partitions', message })]);
  });

  it.each([
    ['JSON', `{"version": 1, "disks": [{"id": "d0", "select": {"name": "sda"}}], "configdrive": {"source": {"meta_data": {"x": ${nested(10_000)}}}}}`],
    ['YAML', `version: 1\nconfigdrive:\n  source:\n    meta_data:\n      x: ${nested(10_000)}\n`],
  ])('refuses %s nested 10,000 deep with plan.too_deep and its pointer, without exceeding the call stack', (_form, text) => {
    const r = validatePlan(text);
    const pointer = `/configdrive/source/meta_data/x${'/0'.repeat(PLAN_LIMITS.depth - 4)}`;
    expect(r.report.entries).toEqual([expect.objectContaining({ code: 'plan.too_deep', pointer, line: expect.any(Number) as number, column: expect.any(Number) as number })]);
  });

  it('refuses nesting in data (10,000 deep, or a cycle) before the schema reads it', () => {
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const plan = withPlan((p) => (p.configdrive = { disk: 'd0', source: { meta_data: { x: deep } } }));
    expect(codes(validatePlan(plan).report.entries)).toEqual(['plan.too_deep']);
    const cycle: Json = { version: 1 };
    cycle.self = cycle;
    expect(validatePlan(cycle).report.entries).toEqual([expect.objectContaining({ code: 'plan.too_deep', pointer: `${'/self'.repeat(PLAN_LIMITS.depth)}` })]);
  });

  it('checks only nesting for any other document (a request body), and lets the plan bounds alone', () => {
    expect(parseSource(`{"plan": ${nested(10_000)}}`).errors).toEqual([expect.objectContaining({ code: 'plan.too_deep', pointer: `/plan${'/0'.repeat(PLAN_LIMITS.depth - 1)}` })]);
    expect(parseSource(JSON.stringify({ plan: partitions(129) })).errors).toEqual([]);
  });

  it('refuses a 10 MB description, and takes one of 4096 characters', () => {
    const big = withPlan((p) => (p.metadata = { description: 'x'.repeat(10_000_000) }));
    expect(validatePlan(JSON.stringify(big)).report.entries).toEqual([
      expect.objectContaining({ code: 'plan.string_too_long', pointer: '/metadata/description', message: 'a string of 10,000,000 characters; at most 4,096 here' }),
    ]);
    const fine = withPlan((p) => (p.metadata = { description: 'x'.repeat(PLAN_LIMITS.descriptionChars) }));
    expect(validatePlan(JSON.stringify(fine)).report.valid).toBe(true);
  });

  it('measures strings as decoded (an escape is one character) and gives room where a place needs it', () => {
    const escaped = `{"version": 1, "metadata": {"description": "${'\\u0041'.repeat(4096)}"}, "disks": [{"id": "d0", "select": {"name": "sda"}}]}`;
    expect(boundEntries(validatePlan(escaped).report.entries)).toEqual([]);
    // A config drive's gzip+base64 image may be megabytes; an id may not.
    const cd = withPlan((p) => (p.configdrive = { disk: 'd0', source: 'A'.repeat(2 * 1024 * 1024) }));
    expect(boundEntries(validatePlan(JSON.stringify(cd)).report.entries)).toEqual([]);
    const url = withPlan((p) => (p.images = [{ id: 'i', source: { url: `http://x/${'a'.repeat(8000)}` }, format: 'tar', target: { path: '/' } }]));
    expect(boundEntries(validatePlan(url).report.entries)).toEqual([]);
    const id = withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.id = 'p'.repeat(5000)));
    expect(codes(validatePlan(JSON.stringify(id)).report.entries)).toEqual(['plan.string_too_long']);
  });

  it('refuses an over-long key at its object', () => {
    const key = withPlan((p) => (p.configdrive = { disk: 'd0', source: { meta_data: { ['k'.repeat(300)]: 1 } } }));
    for (const input of [JSON.stringify(key), key]) {
      expect(validatePlan(input).report.entries).toEqual([expect.objectContaining({ code: 'plan.string_too_long', pointer: '/configdrive/source/meta_data', message: 'a key of 300 characters; at most 256 here' })]);
    }
  });

  it('reports a pointer prefix for data inside another document', () => {
    expect(checkValueBounds(partitions(200), 'plan', '/plan')).toEqual([expect.objectContaining({ code: 'plan.too_many', pointer: '/plan/disks/0/partitions' })]);
  });

  it('refuses plan text longer than the bound before reading it', () => {
    const r = validatePlan(' '.repeat(PLAN_LIMITS.textChars + 1));
    expect(r.report.entries).toEqual([expect.objectContaining({ code: 'plan.too_large', pointer: '' })]);
  });

  it('refuses a YAML alias bomb with a code and the line of its first alias', () => {
    const lines = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    let prev = 'a';
    for (let i = 0; i < 9; i++) {
      lines.push(`b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(', ')}]`);
      prev = `b${i}`;
    }
    const r = validatePlan(lines.join('\n'));
    expect(r.report.entries).toEqual([expect.objectContaining({ code: 'plan.alias_limit', pointer: '', line: 3, column: 10 })]);
  });

  it('refuses sizes larger than any disk with size.too_large, and takes 8 EiB less one byte', () => {
    const size = (s: string | number): Json => withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.size = s));
    for (const s of ['99999999999999999999999999TiB', '8192PiB', `${MAX_SIZE_BYTES + 1n} B`]) {
      expect(validatePlan(size(s)).report.entries).toEqual([expect.objectContaining({ code: 'size.too_large', pointer: '/disks/0/partitions/0/size' })]);
    }
    expect(codes(validatePlan(size(`${MAX_SIZE_BYTES}B`)).report.entries)).not.toContain('size.too_large');
    const hint = withPlan((p) => (p.disks[0]!.select = { name: 'sda', size: '>= 99999999999999999999999TiB' }));
    expect(validatePlan(hint).report.entries).toEqual([expect.objectContaining({ code: 'size.too_large', pointer: '/disks/0/select/size' })]);
  });

  it('keeps what a message echoes of the input short, and says how much it left out', () => {
    const r = validatePlan(withPlan((p) => ((p.disks[0]!.partitions as Json[])[0]!.id = `1${'x'.repeat(3000)}`)));
    const e = r.report.entries.find((x) => x.code === 'schema.invalid_id')!;
    expect(e.message.length).toBeLessThan(320);
    expect(e.message).toMatch(/… \(2,7\d\d more characters left out\)$/);
  });

  it('leaves the base plan alone', () => {
    expect(validatePlan(JSON.stringify(basePlan())).report.entries).toEqual([]);
  });
});
