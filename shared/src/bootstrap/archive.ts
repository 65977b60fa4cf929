import { z } from 'zod';

/**
 * The bootstrap container format (fuel-bootstrap's, kept so an archive built by hand still imports): one
 * `<uuid>.tar.gz` holding `metadata.yaml`, the kernel as `linux`, `initramfs.img`, and for the `live` format
 * `root.squashfs`, which the booting node fetches over HTTP. The builder (`anvil bootstrap build`) and the store
 * (`anvil bootstrap import|list|activate|delete`, the driver-service's read-only HTTP view) both read this file.
 */
export const BOOTSTRAP_FILES = { metadata: 'metadata.yaml', kernel: 'linux', initramfs: 'initramfs.img', squashfs: 'root.squashfs' } as const;

/** Replaced by the URL of the image's directory on the driver-service when kernel parameters are made. */
export const BS_ROOT_PLACEHOLDER = '${bs_root_on_server}';

/** The store: one directory per image under it, and an `active` symlink switched atomically. */
export const DEFAULT_BOOTSTRAP_STORE = '/var/lib/anvil/bootstraps';
export const ACTIVE_LINK = 'active';
export const BOOTSTRAP_STORE_ENV = 'ANVIL_BOOTSTRAP_STORE';

/** The kernel parameter through which the agent learns the bootstrap it runs from (reported to the service). */
export const BOOTSTRAP_KOPT = 'anvil.bootstrap';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase sha256 hex digest');

/** metadata.yaml. `uuid`, `distro` and `extend_kopts` are the spec's mandatory fields; the rest Anvil's builder adds. */
export const BootstrapMetadata = z.looseObject({
  uuid: z.uuid().describe('The image uuid; the archive is named for it.'),
  distro: z.string().min(1).describe('The distribution the image is built from (`debian`; `ubuntu` in Fuel-era archives).'),
  extend_kopts: z.string().describe('Kernel parameters added to the agent’s own; `${bs_root_on_server}` becomes the image’s URL.'),
  label: z.string().min(1).max(100).optional().describe('A name for people; unique in a store.'),
  format: z.enum(['live', 'initramfs']).optional().describe('`live`: root.squashfs fetched at boot; `initramfs`: self-contained.'),
  release: z.string().optional(),
  kernel_version: z.string().optional(),
  agent_version: z.string().optional(),
  node_version: z.string().optional().describe('The Node.js runtime inside (pinned; its sha256 is in `node_sha256`).'),
  node_sha256: Sha256.optional(),
  build: z.record(z.string(), z.unknown()).optional().describe('The build options, without secrets (proxy credentials, keys).'),
  built_at: z.string().optional(),
  files: z.record(z.string(), z.strictObject({ sha256: Sha256, size: z.number().int().nonnegative() })).optional().describe('sha256 and size of every other file of the archive.'),
});

export type BootstrapMetadataT = z.infer<typeof BootstrapMetadata>;
