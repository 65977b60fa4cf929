import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@anvil/agent';
import { readInput } from '../../../../agent/src/cli/io';
import { EXAMPLES_DIR } from '../../../helpers/examples';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'anvil', ...args], { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'anvil-cli-'));
const example = (name: string): string => join(EXAMPLES_DIR, name);

describe('anvil plan', () => {
  it('validate: exit 0 for a valid plan', async () => {
    const r = await run('plan', 'validate', example('raid1-boot-lvm-bios.plan.json'), '--inventory', example('raid1-boot-lvm-bios.inventory.json'));
    expect(r.code).toBe(0);
    expect(r.err).toContain('valid (0 errors, 0 warnings)');
    expect(r.err).toContain('untouched disks: /dev/sdc');
  });

  it('validate: exit 1 and every error with code, pointer and line:column', async () => {
    const file = join(tmp, 'broken.json');
    writeFileSync(
      file,
      [
        '{',
        '  "version": 1,',
        '  "disks": [',
        '    { "id": "d0", "select": { "name": "sda" },',
        '      "partitions": [ { "id": "a", "size": "12 GiBs" }, { "id": "b", "size": "remaining", "tpye": "esp" } ] }',
        '  ],',
        '  "filesystems": [ { "id": "f", "device": "nope", "type": "ext4", "mount": { "path": "/" } } ]',
        '}',
      ].join('\n'),
    );
    const r = await run('plan', 'validate', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error ${file}:5:44 /disks/0/partitions/0/size size.invalid`);
    expect(r.err).toContain(`warning ${file}:5:99 /disks/0/partitions/1/tpye schema.unknown_key`);
    expect(r.err).toContain('invalid (1 error, 1 warning)');
  });

  it('validate --json prints the report', async () => {
    const r = await run('plan', 'validate', '--json', example('mbr-logical.plan.json'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ valid: true, entries: [], untouchable: [] });
  });

  it('exit 2 on usage errors', async () => {
    expect((await run('plan', 'validate')).code).toBe(2);
    expect((await run('plan', 'nonsense')).code).toBe(2);
    expect((await run('plan', 'validate', join(tmp, 'missing.json'))).code).toBe(2);
    expect((await run('plan', 'convert', '--from', 'kickstart', example('mbr-logical.plan.json'))).code).toBe(2);
  });

  it('show draws disks, partitions, arrays, LVM and mounts', async () => {
    const r = await run('plan', 'show', example('raid1-boot-lvm-bios.plan.json'), '--inventory', example('raid1-boot-lvm-bios.inventory.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('disk d0  [by_path=pci-0000:00:1f.2-ata-1] = /dev/sda');
    expect(r.out).toMatch(/raid md-boot {2}\d+(\.\d+)? (MiB|GiB) {2}→ ext4 \/boot/);
    expect(r.out).toMatch(/lv-root {2}20 GiB {2}→ ext4 \/ {2}← filesystem image "os"/);
  });

  it('compile prints the exact commands, and JSON with --json', async () => {
    const r = await run('plan', 'compile', example('raid10-data.plan.json'), '--inventory', example('raid10-data.inventory.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('mdadm --create /dev/md/data --run --metadata=1.2 --level=10 --raid-devices=4 --chunk=256K --homehost=any --name=data /dev/sdb /dev/sdc /dev/sdd /dev/sde');
    const j = await run('plan', 'compile', '--json', example('raid10-data.plan.json'), '--inventory', example('raid10-data.inventory.json'));
    const parsed = JSON.parse(j.out) as { disks: string[]; actions: Array<{ kind: string }> };
    expect(parsed.disks).toEqual(['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/sde']);
    expect(parsed.actions.some((a) => a.kind === 'create_array')).toBe(true);
  });

  it('compile refuses an invalid plan with exit 1', async () => {
    const r = await run('plan', 'compile', example('raid10-data.plan.json'), '--inventory', example('mbr-logical.inventory.json'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('inventory.no_match');
  });

  it('convert writes the native plan to stdout and remarks to stderr', async () => {
    const r = await run('plan', 'convert', '--from', 'bareon', join(__dirname, '../../../fixtures/convert/bareon-deploy-config.json'));
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { version: number }).version).toBe(1);
  });

});

// Issue 15, found when the service was probed, item 10: what the CLI echoes of hostile input is bounded, and every
// refusal is a report entry with the file, its place and a code.
describe('anvil plan against hostile input', () => {
  const file = (name: string, data: string | Buffer): string => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    return p;
  };

  it('prints one line, not megabytes, for a 1 MB binary file', async () => {
    const bin = file('one-mb.bin', Buffer.concat([Buffer.from('ab'), Buffer.alloc(1), randomBytes(1_000_000)]));
    const r = await run('plan', 'validate', bin);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toMatch(new RegExp(`^error ${bin}:1:3 / plan\\.parse_error: binary data, not JSON or YAML text \\(a NUL character at offset 2 of [\\d,]+ characters\\)$`));
    expect(r.err.length).toBeLessThan(1000);
  });

  it('caps the parse errors of binary-looking text and clips what each quotes, saying how much was left out', async () => {
    // Noise without a NUL byte, the same every run (a linear congruential generator).
    const bytes = Buffer.alloc(1_000_000);
    for (let i = 0, x = 12345; i < bytes.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      bytes[i] = 1 + ((x >>> 16) % 255);
    }
    const r = await run('plan', 'validate', file('noise.bin', bytes));
    expect(r.code).toBe(1);
    expect(r.err.length).toBeLessThan(20_000);
    expect(r.err).toMatch(/plan\.parse_error: [\d,]+ more parse errors from here on left out\n/);
    for (const line of r.err.trimEnd().split('\n')) expect(line.length).toBeLessThan(700);
  });

  it('reports a YAML alias bomb with the file, the line of the first alias and plan.alias_limit', async () => {
    const lines = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0, prev = 'a'; i < 9; prev = `b${i}`, i++) lines.push(`b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const bomb = file('bomb.yaml', lines.join('\n'));
    const r = await run('plan', 'validate', bomb);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^error ${bomb}:3:10 / plan\\.alias_limit: aliases expand beyond 100 nodes`));
  });

  it.each([
    ['deep.json', `{"version": 1, "filesystems": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'deep.json:1:94'],
    ['deep.yaml', `version: 1\nfilesystems: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 'deep.yaml:2:77'],
  ])('reports %s nested 10,000 deep with the file, its place and plan.too_deep', async (name, text, where) => {
    const r = await run('plan', 'validate', file(name, text));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error ${join(tmp, where)} /filesystems${'/0'.repeat(63)} plan.too_deep: nested deeper than 64 levels`);
    const json = await run('plan', 'validate', '--json', join(tmp, name));
    expect((JSON.parse(json.out) as { entries: Array<{ code: string }> }).entries.map((e) => e.code)).toEqual(['plan.too_deep']);
  });

  it('refuses an inventory nested 10,000 deep with its file, place and code instead of a stack overflow', async () => {
    const inv = file('deep-inventory.json', `{"disks": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    const r = await run('plan', 'validate', example('raid10-data.plan.json'), '--inventory', inv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^anvil: error ${inv}:1:\\d+ /disks(/0)+ plan\\.too_deep: .* \\[cli\\.parse_failed\\]`));
  });

  it('reads no more of a file than a plan may be', async () => {
    const big = file('big.json', 'x'.repeat(100));
    await expect(readInput(big, 64)).rejects.toMatchObject({ code: 'cli.input_too_large', message: expect.stringContaining(`${big} is larger than 64 bytes`) as string });
    await expect(readInput(big, 100)).resolves.toHaveLength(100);
  });
});
