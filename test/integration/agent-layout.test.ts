import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blkid, hashDevice, LoopDisks } from '../helpers/loop';
import { runProvision } from '../helpers/provision';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const loops = new LoopDisks();
afterAll(() => loops.cleanup());

function tarball(name: string, files: Record<string, string>): { path: string; sha256: string } {
  const tree = join(loops.dir, `${name}-tree`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    writeFileSync(join(tree, rel), content);
  }
  execFileSync(tool('chmod'), ['0640', join(tree, Object.keys(files)[0]!)]);
  execFileSync(tool('chown'), ['1234:4321', join(tree, Object.keys(files)[0]!)]);
  execFileSync(tool('setfattr'), ['-n', 'user.anvil', '-v', 'kept', join(tree, Object.keys(files)[0]!)]);
  const path = join(loops.dir, `${name}.tar.zst`);
  execFileSync(tool('tar'), ['--create', '--zstd', '--xattrs', '--acls', '--numeric-owner', `--file=${path}`, `--directory=${tree}`, '.']);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

function mountRead(dev: string, type: string, rel: string): string {
  const mp = join(loops.dir, `mnt-${dev.replace(/\W/g, '')}`);
  mkdirSync(mp, { recursive: true });
  execFileSync(tool('mount'), ['-t', type, '-o', 'ro', dev, mp]);
  try {
    return readFileSync(join(mp, rel), 'utf8');
  } finally {
    execFileSync(tool('umount'), [mp]);
  }
}

describe('agent: layouts, filesystems, mounts and fstab on loop devices', () => {
  let d0: string;
  let d1: string;
  let bystander: string;
  let bystanderHash: string;
  let result: Awaited<ReturnType<typeof runProvision>>;
  const target = join(loops.dir, 'target');

  beforeAll(async () => {
    d0 = loops.create('d0', 2048 * MiB);
    d1 = loops.create('d1', 1024 * MiB);
    bystander = loops.create('bystander', 64 * MiB);
    execFileSync(tool('mkfs.ext4'), ['-q', '-F', '-L', 'bystander', bystander]);
    bystanderHash = hashDevice(bystander);
    const os = tarball('os', { 'etc/hostname': 'anvil-test\n', 'usr/bin/true-ish': 'x', 'etc/fstab': '# from the image\n' });
    const plan = {
      version: 1,
      metadata: { deployment_id: 'layout-1', node_uuid: '1be26c0b-03f2-4d2d-ae87-c02d7f33c781' },
      disks: [
        {
          id: 'd0',
          select: { name: d0 },
          partitions: [
            { id: 'bios', size: '1MiB', type: 'bios_grub' },
            { id: 'esp', size: '64MiB', type: 'esp', name: 'EFI' },
            { id: 'root', size: '700MiB', name: 'root' },
            { id: 'swap', size: '64MiB', type: 'swap' },
            { id: 'srv', size: 'remaining', type: 'srv' },
          ],
        },
        {
          id: 'd1',
          select: { name: d1 },
          table: 'msdos',
          partitions: [
            { id: 'p1', size: '200MiB', flags: ['boot'] },
            { id: 'ext', kind: 'extended', size: 'remaining', logical: [{ id: 'l1', size: '200MiB' }, { id: 'l2', size: '200MiB' }, { id: 'l3', size: 'remaining' }] },
          ],
        },
      ],
      filesystems: [
        { id: 'fs-esp', device: 'esp', type: 'vfat', label: 'EFI' },
        { id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } },
        { id: 'fs-swap', device: 'swap', type: 'swap', label: 'swap' },
        { id: 'fs-srv', device: 'srv', type: 'xfs', label: 'srv', mount: { path: '/srv', options: ['noatime'] } },
        { id: 'fs-boot', device: 'p1', type: 'ext2', mount: { path: '/boot' } },
        { id: 'fs-var', device: 'l1', type: 'ext3', mount: { path: '/var' } },
        { id: 'fs-data', device: 'l2', type: 'btrfs', label: 'data', mount: { path: '/data' } },
        { id: 'fs-home', device: 'l3', type: 'ext4', mount: { path: '/home' }, fstab: false },
      ],
      images: [{ id: 'os', source: { file: os.path }, checksum: `sha256:${os.sha256}`, format: 'tar', target: { path: '/' } }],
      configdrive: { disk: 'd0', source: { meta_data: { name: 'layout-test' }, user_data: '#cloud-config\nhostname: layout-test\n' } },
    };
    result = await runProvision(plan, [d0, d1, bystander], { targetRoot: target });
  });

  it('succeeds', () => {
    expect(result.error).toBeUndefined();
    expect(result.events.at(-1)).toMatchObject({ type: 'done', result: 'ok' });
  });

  it('reports every stage start and end', () => {
    const starts = result.events.filter((e) => e.type === 'stage' && e.status === 'start').length;
    const ends = result.events.filter((e) => e.type === 'stage' && e.status === 'end').length;
    expect(starts).toBeGreaterThan(20);
    expect(ends).toBe(starts);
  });

  it('creates GPT and MBR layouts with logical partitions and every filesystem type', () => {
    const types: Record<string, [string | undefined, string]> = Object.fromEntries(
      [
        [`${d0}p2`, 'vfat'],
        [`${d0}p3`, 'ext4'],
        [`${d0}p4`, 'swap'],
        [`${d0}p5`, 'xfs'],
        [`${d1}p1`, 'ext2'],
        [`${d1}p5`, 'ext3'],
        [`${d1}p6`, 'btrfs'],
        [`${d1}p7`, 'ext4'],
      ].map(([dev, t]) => [dev!, [blkid(dev!).TYPE, t!]]),
    );
    for (const [dev, [got, want]] of Object.entries(types)) expect(`${dev}: ${got}`).toBe(`${dev}: ${want}`);
    expect(blkid(`${d0}p2`).LABEL).toBe('EFI');
    expect(blkid(`${d0}p2`).PART_ENTRY_TYPE).toBe('c12a7328-f81f-11d2-ba4b-00a0c93ec93b');
    expect(blkid(`${d1}p1`).PART_ENTRY_SCHEME).toBe('dos');
  });

  it('writes fstab by UUID for mounted filesystems and swap, honouring fstab: false', () => {
    const fstab = mountRead(`${d0}p3`, 'ext4', 'etc/fstab');
    const lines = fstab.split('\n').filter((l) => l && !l.startsWith('#'));
    const uuid = (dev: string): string => blkid(dev).UUID!;
    expect(lines).toEqual(
      expect.arrayContaining([
        `UUID=${uuid(`${d0}p3`)} / ext4 defaults 0 1`,
        `UUID=${uuid(`${d0}p5`)} /srv xfs noatime 0 0`,
        `UUID=${uuid(`${d1}p1`)} /boot ext2 defaults 0 2`,
        `UUID=${uuid(`${d1}p5`)} /var ext3 defaults 0 2`,
        `UUID=${uuid(`${d1}p6`)} /data btrfs defaults 0 0`,
        `UUID=${uuid(`${d0}p4`)} none swap sw 0 0`,
      ]),
    );
    expect(fstab).not.toContain('/home');
    expect(lines[0]).toContain(' / ');
  });

  it('extracts the tarball keeping owners, modes and xattrs', () => {
    const mp = join(loops.dir, 'check-root');
    mkdirSync(mp, { recursive: true });
    execFileSync(tool('mount'), ['-o', 'ro', `${d0}p3`, mp]);
    try {
      expect(readFileSync(join(mp, 'etc/hostname'), 'utf8')).toBe('anvil-test\n');
      const st = execFileSync(tool('stat'), ['-c', '%u:%g %a', join(mp, 'etc/hostname')], { encoding: 'utf8' }).trim();
      expect(st).toBe('1234:4321 640');
      expect(execFileSync(tool('getfattr'), ['--only-values', '-n', 'user.anvil', join(mp, 'etc/hostname')], { encoding: 'utf8' })).toBe('kept');
    } finally {
      execFileSync(tool('umount'), [mp]);
    }
  });

  it('writes a config-2 config drive at the end of the disk', () => {
    const cd = blkid(`${d0}p6`);
    expect(cd.LABEL).toBe('config-2');
    expect(cd.TYPE).toBe('iso9660');
    const out = join(loops.dir, 'meta.json');
    execFileSync(tool('xorriso'), ['-osirrox', 'on', '-indev', `stdio:${d0}p6`, '-extract', '/openstack/latest/meta_data.json', out], { stdio: 'ignore' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ name: 'layout-test', uuid: '1be26c0b-03f2-4d2d-ae87-c02d7f33c781' });
    const end = Number(cd.PART_ENTRY_OFFSET) + Number(cd.PART_ENTRY_SIZE);
    expect(end).toBeGreaterThan(2048 * 2048 - 2048 - 34);
  });

  it('unmounts the target tree at the end', () => {
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(target);
  });

  it('never touches a disk the plan does not name', () => {
    expect(hashDevice(bystander)).toBe(bystanderHash);
  });
});
