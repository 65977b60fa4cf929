import type { ErrorCode } from '../errors/catalogue';
import type { FsType } from '../plan/v1/filesystem';

/** argv only: the filesystem modules stand below the compiler and know nothing of its actions. */
export type Argv = readonly string[];

/**
 * Everything Anvil knows about one filesystem type, in one place: adding a type means adding one module.
 * The validator reads the limits, the compiler the command lines.
 */
export interface FilesystemKind {
  readonly type: FsType;
  /** The longest label, in bytes. */
  readonly labelLimit: number;
  /** The smallest device mkfs accepts. */
  readonly minBytes?: bigint;
  /** Characters a label cannot hold. */
  readonly labelForbidden?: RegExp;
  /** The UUID (or volume id) format the type takes. */
  readonly uuidPattern: RegExp;
  mkfs(device: string, uuid: string, label: string | undefined, extra: readonly string[]): Argv;
  /** After a filesystem image was written: check it, grow it to the device, give it this deployment's UUID. */
  afterImage(device: string, uuid: string): ReadonlyArray<{ argv: Argv; okCodes?: readonly number[]; failCode?: ErrorCode }>;
  /** Grows a filesystem image that can only grow while mounted. */
  growMounted?(mountpoint: string): Argv;
  /** The fstab pass number (fs_passno) at this mount path. */
  fsckPass(path: string): number;
}

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
