/** A command the agent runs; `when` limits it to one firmware kind (decided on the machine). */
export interface Command {
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly when?: 'bios' | 'uefi';
}

interface Base {
  /** 1-based position in the run. */
  readonly seq: number;
  /** The plan object the action works on. */
  readonly id: string;
  readonly pointer: string;
  readonly summary: string;
  /** The exact command lines; empty for in-process steps, which `internal` describes. */
  readonly commands: readonly Command[];
  readonly internal?: string;
}

export type Action = Base &
  (
    | { kind: 'teardown'; device: string }
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
    | { kind: 'reread_table'; device: string }
    | { kind: 'verify_table'; device: string; table: 'gpt' | 'msdos'; expected: ReadonlyArray<{ number: number; startSector: string; endSector: string }> }
    | { kind: 'create_array'; device: string; level: string; members: readonly string[]; spares: readonly string[] }
    | { kind: 'assemble_array'; device: string; members: readonly string[] }
    | { kind: 'create_pv'; device: string }
    | { kind: 'create_vg'; name: string; pvs: readonly string[] }
    | { kind: 'activate_vg'; name: string }
    | { kind: 'create_lv'; device: string; lvType: 'linear' | 'thin-pool' | 'thin' }
    | { kind: 'mkfs'; device: string; fsType: string; uuid: string; label?: string }
    | { kind: 'write_image'; device: string; format: string }
    | { kind: 'mount'; device: string; mountpoint: string; fsType: string }
    | { kind: 'extract_image'; mountpoint: string }
    | { kind: 'write_configdrive'; disk: string; device?: string }
    | { kind: 'write_fstab'; path: string; content: string }
    | { kind: 'install_bootloader'; firmware: 'bios' | 'uefi' | 'auto'; targets: readonly string[] }
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

const SAFE_ARG = /^[A-Za-z0-9_\-+=:,./@%]+$/;

export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command as a shell line (heredoc for stdin). */
export function renderCommand(c: Command): string {
  const line = c.argv.map(quoteArg).join(' ');
  const prefix = c.when ? `[${c.when}] ` : '';
  if (c.stdin === undefined) return prefix + line;
  const body = c.stdin.endsWith('\n') ? c.stdin : c.stdin + '\n';
  return `${prefix}${line} <<'ANVIL_EOF'\n${body}ANVIL_EOF`;
}

/** The dry-run text: every action with its commands. */
export function renderActions(compiled: CompiledPlan): string {
  const out: string[] = [];
  for (const a of compiled.actions) {
    out.push(`# [${a.seq}] ${a.kind} ${a.id}: ${a.summary}`);
    if (a.internal) out.push(`#     (in-process) ${a.internal}`);
    for (const c of a.commands) out.push(renderCommand(c));
  }
  return out.join('\n') + '\n';
}
