import { randomBytes } from 'node:crypto';
import { lstat, readFile, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AnvilError } from '../errors/anvil-error';
import { ACTIVE_LINK, BOOTSTRAP_FILES, BOOTSTRAP_KOPT, BOOTSTRAP_STORE_ENV, BS_ROOT_PLACEHOLDER, BootstrapMetadata, DEFAULT_BOOTSTRAP_STORE, type BootstrapMetadataT } from './archive';

/*
 * The bootstrap store on disk, as the `anvil bootstrap` commands and the driver-service both see it:
 * `<store>/<uuid>/{metadata.yaml,linux,initramfs.img[,root.squashfs]}` and `<store>/active -> <uuid>`.
 * Imports (agent/src/bootstrap/store/) unpack into a hidden temporary directory of the store and rename it
 * into place, so a directory named for a uuid is always complete; names starting with `.` are work in progress.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type BootstrapStatus = 'active' | 'inactive';

export interface StoredBootstrap {
  readonly uuid: string;
  readonly label: string | null;
  readonly distro: string;
  readonly format: string | null;
  readonly status: BootstrapStatus;
  readonly built_at: string | null;
  readonly metadata: BootstrapMetadataT;
}

/** The files the store serves and a booting node fetches (metadata.yaml stays on the server side of the list). */
export const SERVED_FILES: readonly string[] = [BOOTSTRAP_FILES.kernel, BOOTSTRAP_FILES.initramfs, BOOTSTRAP_FILES.squashfs];

/** `--store`, then ANVIL_BOOTSTRAP_STORE, then /var/lib/anvil/bootstraps. */
export function bootstrapStoreDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env[BOOTSTRAP_STORE_ENV] ?? DEFAULT_BOOTSTRAP_STORE;
}

export function isBootstrapUuid(text: string): boolean {
  return UUID.test(text);
}

function storeError(what: string, err: unknown): AnvilError {
  return new AnvilError('bootstrap.store_failed', `${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {}, undefined, err);
}

/** Parses metadata.yaml text; `bootstrap.bad_metadata` lists every problem. */
export function parseBootstrapMetadata(text: string, source = 'metadata.yaml'): BootstrapMetadataT {
  let data: unknown;
  try {
    data = parseYaml(text) as unknown;
  } catch (err) {
    throw new AnvilError('bootstrap.bad_metadata', `${source} is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = BootstrapMetadata.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new AnvilError('bootstrap.bad_metadata', `${source}: ${problems.join('; ')}`, { problems });
  }
  return { ...parsed.data, uuid: parsed.data.uuid.toLowerCase() };
}

/** The uuid `active` points at, or undefined. */
export async function activeBootstrap(store: string): Promise<string | undefined> {
  try {
    const target = await readlink(join(store, ACTIVE_LINK));
    return target.replace(/\/+$/, '').split('/').at(-1);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw storeError(`cannot read ${join(store, ACTIVE_LINK)}`, err);
  }
}

/** One stored image, or undefined when the store has no such uuid. */
export async function readBootstrap(store: string, uuid: string, active?: string): Promise<StoredBootstrap | undefined> {
  if (!isBootstrapUuid(uuid)) return undefined;
  let text: string;
  try {
    text = await readFile(join(store, uuid, BOOTSTRAP_FILES.metadata), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw storeError(`cannot read ${uuid}/${BOOTSTRAP_FILES.metadata}`, err);
  }
  const metadata = parseBootstrapMetadata(text, `${uuid}/${BOOTSTRAP_FILES.metadata}`);
  const current = active ?? (await activeBootstrap(store));
  return { uuid, label: metadata.label ?? null, distro: metadata.distro, format: metadata.format ?? null, status: current === uuid ? 'active' : 'inactive', built_at: metadata.built_at ?? null, metadata };
}

/** Every stored image, by label then uuid. An absent store is an empty one. */
export async function listBootstraps(store: string): Promise<StoredBootstrap[]> {
  let names: string[];
  try {
    names = await readdir(store);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storeError(`cannot list ${store}`, err);
  }
  const active = await activeBootstrap(store);
  const out: StoredBootstrap[] = [];
  for (const name of names.filter(isBootstrapUuid)) {
    const b = await readBootstrap(store, name, active ?? '');
    if (b) out.push(b);
  }
  return out.sort((a, b) => (a.label ?? '').localeCompare(b.label ?? '') || a.uuid.localeCompare(b.uuid));
}

/** A stored image, or `bootstrap.not_found`. */
export async function requireBootstrap(store: string, uuid: string): Promise<StoredBootstrap> {
  const b = await readBootstrap(store, uuid.toLowerCase());
  if (!b) throw new AnvilError('bootstrap.not_found', `the store ${store} holds no bootstrap ${uuid}`, { uuid });
  return b;
}

/**
 * Makes `uuid` the active image: a new symlink beside `active`, renamed over it (rename(2) replaces it in one
 * step, so a reader sees the old or the new target, never none). The link is relative: the store may move.
 */
export async function activateBootstrap(store: string, uuid: string): Promise<StoredBootstrap> {
  const b = await requireBootstrap(store, uuid);
  const tmp = join(store, `.${ACTIVE_LINK}-${randomBytes(6).toString('hex')}`);
  try {
    await symlink(b.uuid, tmp);
    await rename(tmp, join(store, ACTIVE_LINK));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw storeError(`cannot switch ${join(store, ACTIVE_LINK)} to ${b.uuid}`, err);
  }
  return { ...b, status: 'active' };
}

/** Deletes an inactive image (renamed aside first, so it disappears at once); the active one is refused. */
export async function deleteBootstrap(store: string, uuid: string): Promise<StoredBootstrap> {
  const b = await requireBootstrap(store, uuid);
  if (b.status === 'active') throw new AnvilError('bootstrap.is_active', `${b.uuid}${b.label ? ` (${b.label})` : ''} is the active bootstrap: activate another image before deleting it`, { uuid: b.uuid });
  const aside = join(store, `.delete-${b.uuid}-${randomBytes(4).toString('hex')}`);
  try {
    await rename(join(store, b.uuid), aside);
    await rm(aside, { recursive: true, force: true });
  } catch (err) {
    throw storeError(`cannot delete ${b.uuid}`, err);
  }
  return b;
}

/** Whether `path` exists as a regular file (not a link). */
export async function isPlainFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

/** The files a booting node needs: root.squashfs as well when the image is `live` or its kernel parameters fetch it. */
export function requiredFiles(meta: Pick<BootstrapMetadataT, 'format' | 'extend_kopts'>): string[] {
  const files: string[] = [BOOTSTRAP_FILES.metadata, BOOTSTRAP_FILES.kernel, BOOTSTRAP_FILES.initramfs];
  if (meta.format === 'live' || meta.extend_kopts.includes(BOOTSTRAP_FILES.squashfs)) files.push(BOOTSTRAP_FILES.squashfs);
  return files;
}

/** The driver-service's URL of an image's directory (its files are under it). */
export function bootstrapDirUrl(publicUrl: string, uuid: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/bootstraps/${uuid}`;
}

/**
 * The driver_info fields that make a node's next boot use the image: deploy_kernel and deploy_ramdisk at URLs
 * that carry the uuid, and kernel_append_params = the agent's own parameters, the image's extend_kopts (with
 * `${bs_root_on_server}` made the image directory's URL) and `anvil.bootstrap=<uuid>`.
 */
export function bootstrapDriverInfo(publicUrl: string, meta: Pick<BootstrapMetadataT, 'uuid' | 'extend_kopts'>, agentParams: string): { deploy_kernel: string; deploy_ramdisk: string; kernel_append_params: string } {
  const dir = bootstrapDirUrl(publicUrl, meta.uuid);
  const kopts = meta.extend_kopts.split(BS_ROOT_PLACEHOLDER).join(dir);
  const params = [agentParams, kopts, `${BOOTSTRAP_KOPT}=${meta.uuid}`]
    .map((p) => p.trim())
    .filter(Boolean)
    .join(' ');
  return { deploy_kernel: `${dir}/${BOOTSTRAP_FILES.kernel}`, deploy_ramdisk: `${dir}/${BOOTSTRAP_FILES.initramfs}`, kernel_append_params: params };
}
