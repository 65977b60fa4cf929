import type { ErrorCode } from '../errors/catalogue';
import type { ConfigDriveT } from '../plan/v1/configdrive';
import type { ImageT } from '../plan/v1/image';
import { redactUrl } from '../protocol/redact';

/**
 * What decides on the machine whether a command runs; every field given must hold. The compiler cannot know
 * these (how the machine booted, what an image brought), so it writes the condition down instead of guessing.
 */
export interface Condition {
  readonly firmware?: 'bios' | 'uefi';
  /** Programs that must be installed on the machine the agent runs on. */
  readonly tools?: readonly string[];
  /** Paths that must exist (files in the deployed tree, efivars). */
  readonly exists?: readonly string[];
  /** Paths that must not exist (a /dev/disk/by-uuid link udev already made). */
  readonly missing?: readonly string[];
  /** A path that must not be a mount point yet (binds survive an interrupted run). */
  readonly unmounted?: string;
  /** The partition table a device holds when the command is reached (after an image wrote one). */
  readonly table?: { readonly device: string; readonly label: 'gpt' | 'msdos' };
  /** The compression the image turned out to have (sniffed from its first bytes when the plan says auto). */
  readonly compression?: 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';
  /**
   * The zstd image holds several independent frames (pzstd's format, or frames the agent marks as they stream
   * by), so it can be decoded on every core.
   */
  readonly zstdFrames?: 'many';
  /** The in-process qcow2 streamer refused the image (subclusters, a backing file …): the fallback runs. */
  readonly streamer?: 'refused';
  /** The device offloads write-zeroes (its queue's write_zeroes_max_bytes is not 0): zeroing costs no data transfer. */
  readonly writeZeroes?: string;
}

/**
 * A command the agent runs. `{name}` in argv or stdin is a value only the machine knows (a sector read back
 * from the disk, a temporary path, a kept filesystem's UUID); the handler fills exactly the names `fill` lists.
 */
export interface Command {
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly when?: Condition;
  /** Exit codes that are success besides 0 (e2fsck -p exits 1 when it repaired something). */
  readonly okCodes?: readonly number[];
  /** The error code when the command fails (a catalogued code; default exec.command_failed). */
  readonly failCode?: ErrorCode;
  /** Run instead when this command fails (partprobe → partx). */
  readonly fallback?: Command;
  /** Standard output is appended to this file (the shell's `>>`). */
  readonly appendTo?: string;
  readonly fill?: readonly string[];
  /** Which part of its work the handler runs the command in, when it has several (`place`, `build`). */
  readonly group?: string;
  /** Device nodes to wait for first (with the action's probes): partitions the kernel is still creating. */
  readonly after?: readonly string[];
}

interface Base {
  /** 1-based position in the run. */
  readonly seq: number;
  /** The plan object the action works on. */
  readonly id: string;
  readonly pointer: string;
  readonly summary: string;
  /** The exact command lines that change the machine, in order. */
  readonly commands: readonly Command[];
  /**
   * Read-only commands the handler may run, as often as it needs, to observe the machine (resume checks,
   * reading a table back, waiting for device nodes). Nothing else is ever run.
   */
  readonly probes?: readonly Command[];
  /**
   * Processes the handler streams data through (a decompressor, dd, tar, qemu-img), each with its exact argv;
   * the handler picks the ones whose conditions hold and runs nothing else.
   */
  readonly pipes?: readonly Command[];
  /** What the handler does in process (streaming an image, comparing a table), for the dry-run. */
  readonly internal?: string;
}

/** An image's source and how to verify it: all a handler needs, so it never reads the plan. */
export type ImageSpec = Pick<ImageT, 'source' | 'checksum' | 'compression' | 'format'>;

/** A config drive as the handler builds it: the plan's source and format, and the node it is for. */
export interface ConfigdriveSpec {
  readonly source: ConfigDriveT['source'];
  readonly format: 'iso9660' | 'vfat';
  readonly bytes: number;
  readonly nodeUuid?: string;
}

export type Action = Base &
  (
    | { kind: 'teardown'; devices: readonly string[] }
    | { kind: 'wipe'; device: string; mode: 'metadata' | 'zero' | 'discard'; sizeBytes: string }
    | { kind: 'create_table'; device: string; table: 'gpt' | 'msdos' }
    | {
        kind: 'create_partition';
        disk: string;
        device: string;
        number: number;
        role: 'primary' | 'extended' | 'logical' | 'configdrive';
        startSector: string;
        endSector: string;
        sectorSize: number;
        typeGuid?: string;
        mbrType?: number;
      }
    | { kind: 'reread_table'; device: string; partitions: readonly string[] }
    | {
        kind: 'verify_table';
        device: string;
        table: 'gpt' | 'msdos';
        /** How far a partition may sit from the plan's sectors (one alignment unit). */
        slackSectors: number;
        expected: ReadonlyArray<{ number: number; startSector: string; endSector: string }>;
      }
    | { kind: 'create_array'; device: string; level: string; members: readonly string[]; spares: readonly string[] }
    | { kind: 'assemble_array'; device: string; members: readonly string[] }
    | { kind: 'create_pv'; device: string }
    | { kind: 'create_vg'; name: string; pvs: readonly string[] }
    | { kind: 'activate_vg'; name: string }
    | { kind: 'create_lv'; device: string; lvType: 'linear' | 'thin-pool' | 'thin' }
    | { kind: 'mkfs'; device: string; fsType: string; uuid: string; label?: string }
    | { kind: 'write_image'; device: string; format: string; image: ImageSpec }
    | { kind: 'mount'; device: string; mountpoint: string; fsType: string }
    | { kind: 'extract_image'; mountpoint: string; image: ImageSpec }
    | { kind: 'write_configdrive'; disk: string; device?: string; configdrive: ConfigdriveSpec }
    | {
        kind: 'write_fstab';
        path: string;
        content: string;
        /** Kept filesystems whose UUID `{uuid:<id>}` in the content stands for, read from the device at run time. */
        kept: ReadonlyArray<{ id: string; device: string }>;
      }
    | {
        kind: 'install_bootloader';
        firmware: 'bios' | 'uefi' | 'auto';
        targets: readonly string[];
        /** Where the ESP is mounted in the deployed system, when there is one. */
        espDirectory?: string;
        kernelParams: readonly string[];
      }
    | { kind: 'unmount'; mountpoint: string }
  );

export type ActionKind = Action['kind'];

/** Distributes Omit over the union so each member keeps its own fields. */
export type ActionInput = Action extends infer A ? (A extends Action ? Omit<A, 'seq'> : never) : never;

export interface CompiledPlan {
  readonly policy: 'clean' | 'verify';
  readonly targetRoot: string;
  /** Real disks the plan takes over (device paths). */
  readonly disks: readonly string[];
  /** Real disks of the inventory the plan does not name: no action touches them. */
  readonly untouchable: readonly string[];
  readonly actions: readonly Action[];
}

const SAFE_ARG = /^[A-Za-z0-9_\-+=:,./@%{}]+$/;

export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function renderCondition(w: Condition): string {
  const parts: string[] = [];
  if (w.firmware) parts.push(w.firmware);
  for (const t of w.tools ?? []) parts.push(`if ${t} is installed`);
  for (const p of w.exists ?? []) parts.push(`if ${p} exists`);
  for (const p of w.missing ?? []) parts.push(`unless ${p} exists`);
  if (w.unmounted) parts.push(`unless ${w.unmounted} is mounted`);
  if (w.table) parts.push(`if ${w.table.device} holds ${w.table.label}`);
  if (w.compression) parts.push(`if the image is ${w.compression}`);
  if (w.zstdFrames) parts.push('if it holds several frames');
  if (w.streamer) parts.push('if the qcow2 streamer refuses the image');
  if (w.writeZeroes) parts.push(`if ${w.writeZeroes} offloads write-zeroes`);
  return parts.join(', ');
}

/** A command as a shell line (heredoc for stdin). */
export function renderCommand(c: Command): string {
  let line = c.argv.map(quoteArg).join(' ');
  if (c.appendTo !== undefined) line += ` >> ${quoteArg(c.appendTo)}`;
  if (c.okCodes?.length) line += ` # exit ${[0, ...c.okCodes].join('/')} is success`;
  if (c.fallback) line += ` || ${renderCommand(c.fallback)}`;
  const cond = c.when ? renderCondition(c.when) : '';
  const conds = [...(cond ? [cond] : []), ...(c.after?.length ? [`once ${c.after.join(', ')} exist${c.after.length === 1 ? 's' : ''}`] : [])];
  const prefix = conds.length ? `[${conds.join('; ')}] ` : '';
  if (c.stdin === undefined) return prefix + line;
  const body = c.stdin.endsWith('\n') ? c.stdin : c.stdin + '\n';
  return `${prefix}${line} <<'ANVIL_EOF'\n${body}ANVIL_EOF`;
}

/** The dry-run text: every action with its commands and the probes it may run. */
export function renderActions(compiled: CompiledPlan): string {
  const out: string[] = [];
  for (const a of compiled.actions) {
    out.push(`# [${a.seq}] ${a.kind} ${a.id}: ${a.summary}`);
    if (a.internal) out.push(`#     (in-process) ${a.internal}`);
    for (const p of a.probes ?? []) out.push(`#     (probe) ${renderCommand(p)}`);
    for (const p of a.pipes ?? []) out.push(`#     (stream) ${renderCommand(p)}`);
    for (const c of a.commands) out.push(renderCommand(c));
  }
  return out.join('\n') + '\n';
}

/** The action without what must not be printed: image credentials and headers, config drive contents. */
export function redactAction(a: Action): Action {
  if (a.kind === 'write_image' || a.kind === 'extract_image') {
    const s = a.image.source;
    const source = {
      ...s,
      ...(s.url !== undefined ? { url: redactUrl(s.url) } : {}),
      ...(s.headers ? { headers: Object.fromEntries(Object.keys(s.headers).map((k) => [k, '***'])) } : {}),
      ...(s.glance ? { glance: { image_id: s.glance.image_id, ...(s.glance.endpoint ? { endpoint: s.glance.endpoint } : {}), ...(s.glance.token || s.glance.application_credential ? { credential: '***' } : {}) } } : {}),
    };
    return { ...a, image: { ...a.image, source } } as Action;
  }
  if (a.kind === 'write_configdrive') return { ...a, configdrive: { ...a.configdrive, source: '***' } };
  return a;
}
