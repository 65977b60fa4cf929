import { parseSource, validatePlan } from '@anvil/shared';

describe('plan text', () => {
  it('gives YAML plans line and column too', () => {
    const yaml = ['version: 1', 'disks:', '  - id: d0', '    select: {name: sda}', '    partitions:', '      - {id: a, size: 12 GiBs}'].join('\n');
    const r = validatePlan(yaml);
    expect(r.report.entries).toEqual([expect.objectContaining({ code: 'size.invalid', pointer: '/disks/0/partitions/0/size', line: 6, column: 23 })]);
  });

  it('reports duplicate keys in JSON and YAML', () => {
    expect(parseSource('{"a": 1,\n "a": 2}').errors).toEqual([expect.objectContaining({ code: 'plan.duplicate_key', line: 2, column: 2 })]);
    expect(parseSource('a: 1\na: 2\n').errors[0]).toMatchObject({ code: 'plan.duplicate_key', line: 2 });
  });

  it('refuses comments and trailing commas in JSON', () => {
    expect(parseSource('{"a": 1, // no\n}').errors.map((e) => e.code)).toContain('plan.parse_error');
    expect(parseSource('{"a": [1,],}').errors.length).toBeGreaterThan(0);
  });

  it('locates the closest existing node for a missing field', () => {
    const doc = parseSource('{\n  "version": 1,\n  "disks": [ {"id": "d0"} ]\n}');
    expect(doc.locate('/disks/0/select')).toEqual({ line: 3, column: 14 });
    expect(doc.locate('')).toEqual({ line: 1, column: 1 });
  });
});
