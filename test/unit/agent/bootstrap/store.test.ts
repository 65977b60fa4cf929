import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { main } from '@anvil/agent';
import { AnvilError } from '@anvil/shared';
import { BOOTSTRAP_KOPT, activateBootstrap, bootstrapDriverInfo, deleteBootstrap, listBootstraps, parseBootstrapMetadata, requiredFiles } from '@anvil/shared/bootstrap';
import { importBootstrap } from '../../../../agent/src/bootstrap/store';

const root = mkdtempSync(join(tmpdir(), 'anvil-bs-unit-'));
let n = 0;

/** A `<uuid>.tar.gz` made in a temp dir, in-process (node-tar): `files` are name → content; metadata is YAML text. */
async function archive(metadata: string, files: Record<string, string>, opts: { nested?: string } = {}): Promise<string> {
  const dir = join(root, `src-${++n}`);
  const inner = opts.nested ? join(dir, opts.nested) : dir;
  mkdirSync(inner, { recursive: true });
  writeFileSync(join(inner, 'metadata.yaml'), metadata);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(inner, name), content);
  const file = join(root, `a-${n}.tar.gz`);
  await createTar({ gzip: true, file, cwd: dir }, opts.nested ? [opts.nested] : readdirSync(dir));
  return file;
}

const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
const handMade = (uuid: string, extra = ''): string => `uuid: ${uuid}\ndistro: ubuntu\nextend_kopts: "biosdevname=0 fetch=\${bs_root_on_server}/root.squashfs"\n${extra}`;
const freshStore = (): string => join(root, `store-${++n}`);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AnvilError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('bootstrap metadata', () => {
  it('parses the spec’s mandatory fields and keeps unknown ones', () => {
    const uuid = randomUUID();
    const m = parseBootstrapMetadata(`uuid: ${uuid.toUpperCase()}\ndistro: debian\nextend_kopts: ""\nsomething: else\n`);
    expect(m.uuid).toBe(uuid);
    expect(m.distro).toBe('debian');
    expect((m as Record<string, unknown>).something).toBe('else');
  });

  it('lists every missing or wrong field', () => {
    try {
      parseBootstrapMetadata('uuid: nope\nformat: iso\n');
      throw new Error('parsed');
    } catch (err) {
      expect((err as AnvilError).code).toBe('bootstrap.bad_metadata');
      const msg = (err as Error).message;
      for (const f of ['uuid', 'distro', 'extend_kopts', 'format']) expect(msg).toContain(f);
    }
  });

  it('refuses text that is not YAML', () => {
    expect(() => parseBootstrapMetadata('uuid: [\n')).toThrow(expect.objectContaining({ code: 'bootstrap.bad_metadata' }));
  });

  it('needs root.squashfs for live images and for kernel parameters that fetch it', () => {
    expect(requiredFiles({ format: 'initramfs', extend_kopts: '' })).not.toContain('root.squashfs');
    expect(requiredFiles({ format: 'live', extend_kopts: '' })).toContain('root.squashfs');
    expect(requiredFiles({ extend_kopts: 'fetch=${bs_root_on_server}/root.squashfs' })).toContain('root.squashfs');
  });

  it('makes driver_info with the uuid in the URLs and the placeholder replaced', () => {
    const uuid = randomUUID();
    const di = bootstrapDriverInfo('http://svc:9600/', { uuid, extend_kopts: ' boot=live fetch=${bs_root_on_server}/root.squashfs ' }, '%default% anvil.lookup_timeout=60');
    expect(di.deploy_kernel).toBe(`http://svc:9600/v1/bootstraps/${uuid}/linux`);
    expect(di.deploy_ramdisk).toBe(`http://svc:9600/v1/bootstraps/${uuid}/initramfs.img`);
    expect(di.kernel_append_params).toBe(`%default% anvil.lookup_timeout=60 boot=live fetch=http://svc:9600/v1/bootstraps/${uuid}/root.squashfs ${BOOTSTRAP_KOPT}=${uuid}`);
  });
});

describe('bootstrap import', () => {
  it('imports the spec’s hand-made archive (no checksums) and lists it inactive', async () => {
    const store = freshStore();
    const uuid = randomUUID();
    const file = await archive(handMade(uuid), { linux: 'kernel', 'initramfs.img': 'initrd', 'root.squashfs': 'root' });
    const r = await importBootstrap(store, file);
    expect(r.image).toMatchObject({ uuid, status: 'inactive', distro: 'ubuntu' });
    expect(readdirSync(join(store, uuid)).sort()).toEqual(['initramfs.img', 'linux', 'metadata.yaml', 'root.squashfs']);
    expect(readdirSync(store)).toEqual([uuid]); // no temporary directory left
  });

  it('imports an archive whose files are in one top-level directory, and activates it', async () => {
    const store = freshStore();
    const uuid = randomUUID();
    const file = await archive(`uuid: ${uuid}\ndistro: debian\nextend_kopts: ""\nformat: initramfs\nlabel: one\n`, { linux: 'k', 'initramfs.img': 'i' }, { nested: uuid });
    const r = await importBootstrap(store, file, { activate: true });
    expect(r.image.status).toBe('active');
    expect(readlinkSync(join(store, 'active'))).toBe(uuid);
  });

  it('checks every listed file’s size and sha256', async () => {
    const store = freshStore();
    const uuid = randomUUID();
    const good = `files:\n  linux: { sha256: ${sha('k')}, size: 1 }\n  initramfs.img: { sha256: ${sha('i')}, size: 1 }\n`;
    expect(await code(importBootstrap(store, await archive(`uuid: ${uuid}\ndistro: d\nextend_kopts: ""\n${good}`, { linux: 'k', 'initramfs.img': 'i' })))).toBe('no error');
    const badSha = `files:\n  linux: { sha256: ${sha('x')}, size: 1 }\n`;
    expect(await code(importBootstrap(store, await archive(`uuid: ${randomUUID()}\ndistro: d\nextend_kopts: ""\n${badSha}`, { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.checksum_mismatch');
    const badSize = `files:\n  linux: { sha256: ${sha('k')}, size: 7 }\n`;
    expect(await code(importBootstrap(store, await archive(`uuid: ${randomUUID()}\ndistro: d\nextend_kopts: ""\n${badSize}`, { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.checksum_mismatch');
    const listedMissing = `files:\n  extra.bin: { sha256: ${sha('k')}, size: 1 }\n`;
    expect(await code(importBootstrap(store, await archive(`uuid: ${randomUUID()}\ndistro: d\nextend_kopts: ""\n${listedMissing}`, { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.missing_file');
    expect(readdirSync(store)).toEqual([uuid]);
  });

  it('refuses missing mandatory files, bad metadata and what is not a tar.gz, leaving nothing', async () => {
    const store = freshStore();
    expect(await code(importBootstrap(store, await archive(handMade(randomUUID()), { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.missing_file'); // root.squashfs
    expect(await code(importBootstrap(store, await archive(`uuid: ${randomUUID()}\ndistro: d\nextend_kopts: ""\n`, { linux: 'k' })))).toBe('bootstrap.missing_file');
    expect(await code(importBootstrap(store, await archive(`uuid: ${randomUUID()}\nformat: live\ndistro: d\nextend_kopts: ""\n`, { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.missing_file');
    expect(await code(importBootstrap(store, await archive('distro: d\n', { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.bad_metadata');
    const junk = join(root, 'junk.tar.gz');
    writeFileSync(junk, 'not an archive at all');
    expect(await code(importBootstrap(store, junk))).toBe('bootstrap.archive_unreadable');
    expect(await code(importBootstrap(store, join(root, 'absent.tar.gz')))).toBe('cli.read_failed');
    expect(readdirSync(store)).toEqual([]);
  });

  it('refuses links inside the archive', async () => {
    const store = freshStore();
    const dir = join(root, `src-${++n}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'metadata.yaml'), `uuid: ${randomUUID()}\ndistro: d\nextend_kopts: ""\n`);
    writeFileSync(join(dir, 'linux'), 'k');
    symlinkSync('/etc/passwd', join(dir, 'initramfs.img'));
    const file = join(root, `a-${n}.tar.gz`);
    await createTar({ gzip: true, file, cwd: dir }, readdirSync(dir));
    expect(await code(importBootstrap(store, file))).toBe('bootstrap.archive_unreadable');
    expect(readdirSync(store)).toEqual([]);
  });

  it('keeps uuids and labels unique', async () => {
    const store = freshStore();
    const uuid = randomUUID();
    const meta = `uuid: ${uuid}\ndistro: d\nextend_kopts: ""\nlabel: prod\n`;
    await importBootstrap(store, await archive(meta, { linux: 'k', 'initramfs.img': 'i' }));
    expect(await code(importBootstrap(store, await archive(meta, { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.duplicate');
    expect(await code(importBootstrap(store, await archive(meta.replace(uuid, randomUUID()), { linux: 'k', 'initramfs.img': 'i' })))).toBe('bootstrap.duplicate');
    expect((await listBootstraps(store)).map((b) => b.uuid)).toEqual([uuid]);
  });
});

describe('bootstrap activate and delete', () => {
  it('switches active, refuses deleting it and deletes the inactive one', async () => {
    const store = freshStore();
    const a = randomUUID();
    const b = randomUUID();
    await importBootstrap(store, await archive(`uuid: ${a}\ndistro: d\nextend_kopts: ""\nlabel: a\n`, { linux: 'k', 'initramfs.img': 'i' }), { activate: true });
    await importBootstrap(store, await archive(`uuid: ${b}\ndistro: d\nextend_kopts: ""\nlabel: b\n`, { linux: 'k', 'initramfs.img': 'i' }));
    await activateBootstrap(store, b);
    expect((await listBootstraps(store)).map((x) => [x.label, x.status])).toEqual([
      ['a', 'inactive'],
      ['b', 'active'],
    ]);
    expect(await code(deleteBootstrap(store, b))).toBe('bootstrap.is_active');
    expect(await code(activateBootstrap(store, randomUUID()))).toBe('bootstrap.not_found');
    await deleteBootstrap(store, a);
    expect(existsSync(join(store, a))).toBe(false);
    expect(readdirSync(store).sort()).toEqual(['active', b].sort());
  });
});

describe('anvil bootstrap (CLI)', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const c = await main(['node', 'anvil', 'bootstrap', ...args], { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') });
    return { code: c, out, err };
  }

  it('imports, lists as a table and as JSON, refuses with exit 1 and a code, and exits 2 on usage errors', async () => {
    const store = freshStore();
    const uuid = randomUUID();
    const file = await archive(`uuid: ${uuid}\ndistro: d\nextend_kopts: ""\nlabel: cli\n`, { linux: 'k', 'initramfs.img': 'i' });
    expect((await run('import', file, '--store', store, '--activate')).code).toBe(0);
    const list = await run('list', '--store', store);
    expect(list.out.split('\n')[0]).toMatch(/^uuid +\| label +\| status$/);
    expect(list.out).toContain(`${uuid} | cli   | active`);
    expect(JSON.parse((await run('list', '--store', store, '--json')).out)).toMatchObject({ bootstraps: [{ uuid, label: 'cli', status: 'active' }] });
    const again = await run('import', file, '--store', store);
    expect(again.code).toBe(1);
    expect(again.err).toContain('[bootstrap.duplicate]');
    const del = await run('delete', uuid, '--store', store);
    expect(del.code).toBe(1);
    expect(del.err).toContain('[bootstrap.is_active]');
    expect((await run('delete', '--store', store)).code).toBe(2);
    expect((await run('delete', uuid, '--force', '--store', store)).code).toBe(2);
  });
});
