import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { x as extract, type ReadEntry } from 'tar';
import { AnvilError, type BootstrapMetadataT } from '@anvil/shared';
import { BOOTSTRAP_FILES, activateBootstrap, isPlainFile, listBootstraps, parseBootstrapMetadata, requiredFiles, type StoredBootstrap } from '@anvil/shared/bootstrap';

/*
 * `anvil bootstrap import`: a `<uuid>.tar.gz` in the container format (shared/src/bootstrap/archive.ts) is
 * unpacked into a temporary directory inside the store, validated there, and renamed to `<store>/<uuid>` at
 * the end; a refused or failed import removes the temporary directory, so it leaves nothing behind.
 */

/** Entry types an archive may hold: plain files and directories (no links, devices or FIFOs). */
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Unpacks `file` into `dir`; anything but a readable tar.gz of plain files and directories is refused. */
export async function unpackArchive(file: string, dir: string): Promise<void> {
  const refused: string[] = [];
  try {
    await stat(file);
  } catch (err) {
    throw new AnvilError('cli.read_failed', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    await extract({
      file,
      cwd: dir,
      strict: true,
      // node-tar refuses absolute paths and `..` itself (strict makes that an error); links and devices are refused here.
      filter: (path: string, entry: unknown) => {
        const type = (entry as ReadEntry).type;
        if (ALLOWED_TYPES.has(type)) return true;
        refused.push(`${path} (${type})`);
        return false;
      },
      preserveOwner: false,
    });
  } catch (err) {
    throw new AnvilError('bootstrap.archive_unreadable', `${file} is not a readable tar.gz: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (refused.length) throw new AnvilError('bootstrap.archive_unreadable', `${file} holds entries that are not plain files or directories: ${refused.slice(0, 5).join(', ')}`, { entries: refused });
}

/**
 * Where the image's files are in an unpacked archive: at its top (`tar -C dir -czf x.tar.gz .`, as
 * fuel-bootstrap packs them) or in its one top-level directory (`tar -czf x.tar.gz <uuid>/`).
 */
async function imageRoot(dir: string): Promise<string> {
  if (await isPlainFile(join(dir, BOOTSTRAP_FILES.metadata))) return dir;
  const top = await readdir(dir, { withFileTypes: true });
  if (top.length === 1 && top[0]!.isDirectory() && (await isPlainFile(join(dir, top[0]!.name, BOOTSTRAP_FILES.metadata)))) return join(dir, top[0]!.name);
  return dir;
}

/**
 * Validates an unpacked image directory: metadata.yaml (the shared schema), the mandatory files, and every
 * file's sha256 and size when metadata lists `files`. Returns the metadata.
 */
export async function validateImageDir(root: string, source = 'the archive'): Promise<BootstrapMetadataT> {
  const metaPath = join(root, BOOTSTRAP_FILES.metadata);
  if (!(await isPlainFile(metaPath))) throw new AnvilError('bootstrap.missing_file', `${source} has no ${BOOTSTRAP_FILES.metadata}`, { file: BOOTSTRAP_FILES.metadata });
  const meta = parseBootstrapMetadata(await readFile(metaPath, 'utf8'), `${source}: ${BOOTSTRAP_FILES.metadata}`);
  const missing = [];
  for (const f of requiredFiles(meta)) if (!(await isPlainFile(join(root, f)))) missing.push(f);
  for (const f of Object.keys(meta.files ?? {})) if (!missing.includes(f) && !(await isPlainFile(join(root, ...safeRelative(f, source))))) missing.push(f);
  if (missing.length) {
    const why = meta.format === 'live' && missing.includes(BOOTSTRAP_FILES.squashfs) ? ' (a live image needs root.squashfs)' : '';
    throw new AnvilError('bootstrap.missing_file', `${source} lacks ${missing.join(', ')}${why}`, { files: missing });
  }
  for (const [f, want] of Object.entries(meta.files ?? {})) {
    const path = join(root, ...safeRelative(f, source));
    const size = (await stat(path)).size;
    if (size !== want.size) throw new AnvilError('bootstrap.checksum_mismatch', `${source}: ${f} is ${size} bytes, metadata.yaml says ${want.size}`, { file: f, size, expected_size: want.size });
    const sha = await sha256Of(path);
    if (sha !== want.sha256) throw new AnvilError('bootstrap.checksum_mismatch', `${source}: ${f} has sha256 ${sha}, metadata.yaml says ${want.sha256}`, { file: f, sha256: sha, expected_sha256: want.sha256 });
  }
  return meta;
}

/** A `files` key as path segments inside the image, refused when it would leave it. */
function safeRelative(name: string, source: string): string[] {
  const parts = name.split('/');
  if (name.startsWith('/') || parts.some((p) => p === '..' || p === '')) throw new AnvilError('bootstrap.bad_metadata', `${source}: metadata.yaml lists a file outside the image: ${name}`, { file: name });
  return parts;
}

export interface ImportResult {
  readonly image: StoredBootstrap;
  readonly activated: boolean;
}

/** Imports an archive into the store (created when absent); `activate` switches `active` to it afterwards. */
export async function importBootstrap(store: string, file: string, opts: { activate?: boolean } = {}): Promise<ImportResult> {
  try {
    await mkdir(store, { recursive: true });
  } catch (err) {
    throw new AnvilError('bootstrap.store_failed', `cannot create the store ${store}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let tmp: string;
  try {
    tmp = await mkdtemp(join(store, '.import-'));
  } catch (err) {
    throw new AnvilError('bootstrap.store_failed', `cannot write into the store ${store}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    await unpackArchive(file, tmp);
    const root = await imageRoot(tmp);
    const meta = await validateImageDir(root, file);
    const stored = await listBootstraps(store);
    const same = stored.find((b) => b.uuid === meta.uuid);
    if (same) throw new AnvilError('bootstrap.duplicate', `the store already holds bootstrap ${meta.uuid}${same.label ? ` (${same.label})` : ''}`, { uuid: meta.uuid });
    const labelled = meta.label === undefined ? undefined : stored.find((b) => b.label === meta.label);
    if (labelled) throw new AnvilError('bootstrap.duplicate', `the store already holds an image labelled ${meta.label!}: ${labelled.uuid}`, { uuid: labelled.uuid, label: meta.label });
    try {
      await rename(root, join(store, meta.uuid));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another import of the same uuid won the race.
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new AnvilError('bootstrap.duplicate', `the store already holds bootstrap ${meta.uuid}`, { uuid: meta.uuid });
      throw new AnvilError('bootstrap.store_failed', `cannot move ${meta.uuid} into the store: ${code ?? String(err)}`);
    }
    const image = opts.activate ? await activateBootstrap(store, meta.uuid) : (await listBootstraps(store)).find((b) => b.uuid === meta.uuid)!;
    return { image, activated: Boolean(opts.activate) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
