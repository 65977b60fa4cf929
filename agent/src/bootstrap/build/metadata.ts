import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BOOTSTRAP_FILES, BS_ROOT_PLACEHOLDER, BootstrapMetadata, type BootstrapMetadataT } from '@anvil/shared';
import { effectiveRepos } from './apt';
import { formatRepo, redactProxy, type BuildOptionsT } from './options';

/** The kernel parameters a `live` image needs: live-boot fetches root.squashfs from the image's URL on the service. */
export function liveKopts(): string {
  return `boot=live fetch=${BS_ROOT_PLACEHOLDER}/${BOOTSTRAP_FILES.squashfs}`;
}

export function imageKopts(o: Pick<BuildOptionsT, 'format' | 'extendKopts'>): string {
  return [o.format === 'live' ? liveKopts() : '', o.extendKopts].filter((s) => s.trim()).join(' ');
}

/**
 * The build options as metadata.yaml records them: what was asked, with no secret (proxy credentials are
 * masked; SSH keys and CA certificates by their files' sha256, the script and injected directory by path).
 */
export function recordedOptions(o: BuildOptionsT, digests: { script?: string | undefined; sshKeys?: string | undefined; caCerts: readonly string[] }): Record<string, unknown> {
  return {
    repos: effectiveRepos(o).map((r) => `${formatRepo(r)}${r.priority !== undefined ? `,priority=${r.priority}` : ''}`),
    ...(o.httpProxy ? { http_proxy: redactProxy(o.httpProxy) } : {}),
    ...(o.httpsProxy ? { https_proxy: redactProxy(o.httpsProxy) } : {}),
    ...(o.directRepoAddrs.length ? { direct_repo_addr: o.directRepoAddrs } : {}),
    packages: o.packages,
    ...(o.script ? { script: { path: o.script, sha256: digests.script } } : {}),
    ...(o.injectFilesFrom ? { inject_files_from: o.injectFilesFrom } : {}),
    extend_kopts: o.extendKopts,
    kernel_flavor: o.kernelFlavor,
    release: o.release,
    ...(o.sshKeys ? { ssh_keys_sha256: digests.sshKeys } : {}),
    ...(o.caCerts.length ? { ca_certs_sha256: digests.caCerts } : {}),
    format: o.format,
  };
}

export async function fileDigest(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return { sha256: h.digest('hex'), size: statSync(path).size };
}

export interface MetadataInputs {
  readonly uuid: string;
  readonly options: BuildOptionsT;
  readonly kernelVersion: string;
  readonly agentVersion: string;
  readonly nodeVersion: string;
  readonly nodeSha256: string;
  readonly files: Record<string, { sha256: string; size: number }>;
  readonly recorded: Record<string, unknown>;
  readonly builtAt: Date;
}

/** metadata.yaml's object, checked against the container format's schema (shared/src/bootstrap/archive.ts). */
export function buildMetadata(i: MetadataInputs): BootstrapMetadataT {
  return BootstrapMetadata.parse({
    uuid: i.uuid,
    distro: 'debian',
    extend_kopts: imageKopts(i.options),
    ...(i.options.label ? { label: i.options.label } : {}),
    format: i.options.format,
    release: i.options.release,
    kernel_version: i.kernelVersion,
    agent_version: i.agentVersion,
    node_version: i.nodeVersion,
    node_sha256: i.nodeSha256,
    build: i.recorded,
    built_at: i.builtAt.toISOString(),
    files: i.files,
  });
}

export function metadataYaml(m: BootstrapMetadataT): string {
  return stringify(m, { lineWidth: 0 });
}

/** The files of an archive for a format, in the archive's order (metadata.yaml first). */
export function archiveFiles(format: BuildOptionsT['format']): string[] {
  return [BOOTSTRAP_FILES.metadata, BOOTSTRAP_FILES.kernel, BOOTSTRAP_FILES.initramfs, ...(format === 'live' ? [BOOTSTRAP_FILES.squashfs] : [])];
}

export const joinFile = (dir: string, f: string): string => join(dir, f);
