import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@anvil/agent';
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
