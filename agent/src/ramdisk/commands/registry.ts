import { randomUUID } from 'node:crypto';
import { AnvilError, type ErrorCode, type Logger } from '@anvil/shared';

export type CommandStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'VERSION_MISMATCH';

/** IPA's error shape; Ironic puts `details` (or else `message`) into the node's last_error. */
export interface CommandErrorBody {
  type: string;
  code: number;
  message: string;
  details: string;
  /** Anvil's stable error code (docs/reference/error-codes.md). */
  anvil_code?: ErrorCode;
}

/** A command result in IPA's shape. Parameters are not echoed back (they carry the config drive). */
export interface CommandResult {
  id: string;
  command_name: string;
  command_status: CommandStatus;
  command_error: CommandErrorBody | null;
  command_result: unknown;
}

export type CommandParams = Record<string, unknown>;

export interface CommandSpec {
  /** Async commands answer RUNNING at once and finish in the background. */
  readonly async: boolean;
  run(params: CommandParams, ctx: { readonly id: string; readonly resumed: boolean }): Promise<unknown>;
}

/** An error the HTTP layer answers with a status and IPA's `faultstring`. */
export class ApiFault extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Raised by a command whose step belongs to other hardware-manager versions. */
export class VersionMismatch extends Error {}

export function commandError(err: unknown): CommandErrorBody {
  if (err instanceof AnvilError) {
    // One sentence first (Ironic shows `details` as the node's last_error), then the specifics.
    const sentence = err.message.split('\n')[0]!.replace(/:$/, '');
    const specifics = typeof err.details.summary === 'string' ? err.details.summary : err.message.split('\n').slice(1).join('; ');
    return {
      type: 'CommandExecutionError',
      code: err.status >= 500 ? err.status : 500,
      message: sentence,
      details: `${sentence}${specifics ? `: ${specifics}` : ''} [${err.code}]`,
      anvil_code: err.code,
    };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { type: 'CommandExecutionError', code: 500, message: msg, details: `${msg} [agent.unexpected]`, anvil_code: 'agent.unexpected' };
}

export interface RunningRecord {
  readonly id: string;
  readonly name: string;
  readonly params: CommandParams;
}

export interface CommandHooks {
  /** After any change to the list (persist it). */
  changed?(list: readonly CommandResult[], running: RunningRecord | undefined): void;
  /** After an async command finished (heartbeat at once, so the conductor moves on). */
  asyncDone?(result: CommandResult): void;
}

/**
 * Runs `<extension>.<command>` commands one at a time and keeps their results in order: the conductor
 * reads the last one. A command while another runs is refused (409 "Agent is busy").
 */
export class CommandProcessor {
  private readonly results: CommandResult[] = [];
  private running?: { record: RunningRecord; done: Promise<void> };

  constructor(
    private readonly specs: ReadonlyMap<string, CommandSpec>,
    private readonly log: Logger,
    private readonly hooks: CommandHooks = {},
  ) {}

  list(): readonly CommandResult[] {
    return this.results;
  }

  get(id: string): CommandResult | undefined {
    return this.results.find((r) => r.id === id);
  }

  /** Restores results from before a restart of the agent (same boot). */
  restore(list: readonly CommandResult[]): void {
    this.results.splice(0, this.results.length, ...list);
  }

  async waitFor(id: string): Promise<CommandResult | undefined> {
    if (this.running?.record.id === id) await this.running.done;
    return this.get(id);
  }

  /** Starts (or, after a restart, resumes) a command. `wait` blocks until it is finished. */
  async execute(name: string, params: CommandParams, wait: boolean, resumeId?: string): Promise<CommandResult> {
    const spec = this.specs.get(name);
    if (!spec) {
      const ext = name.split('.')[0] ?? '';
      const known = [...this.specs.keys()].some((k) => k.startsWith(`${ext}.`));
      throw new ApiFault(known ? 400 : 404, known ? `Invalid command: Unknown command: ${name}` : `Unknown extension: ${ext} (Invalid command: Unknown command: ${name})`);
    }
    if (this.running) throw new ApiFault(409, `Agent is busy: ${this.running.record.name} is still running`);
    const shortName = name.slice(name.indexOf('.') + 1);
    const id = resumeId ?? randomUUID();
    let result: CommandResult = { id, command_name: shortName, command_status: 'RUNNING', command_error: null, command_result: null };
    const existing = this.results.findIndex((r) => r.id === id);
    if (existing >= 0) this.results[existing] = result;
    else this.results.push(result);
    const record: RunningRecord = { id, name, params };
    const log = this.log.child({ command: name, command_id: id });
    log.info({ resumed: Boolean(resumeId) }, 'command started');
    const started = Date.now();
    const finish = (patch: Partial<CommandResult>): void => {
      result = { ...result, ...patch };
      const i = this.results.findIndex((r) => r.id === id);
      this.results[i] = result;
    };
    const done = (async (): Promise<void> => {
      try {
        const out = await spec.run(params, { id, resumed: Boolean(resumeId) });
        finish({ command_status: 'SUCCEEDED', command_result: out ?? null });
        log.info({ duration_ms: Date.now() - started }, 'command succeeded');
      } catch (err) {
        if (err instanceof VersionMismatch) {
          finish({ command_status: 'VERSION_MISMATCH', command_error: { type: 'VersionMismatch', code: 409, message: err.message, details: err.message } });
        } else {
          finish({ command_status: 'FAILED', command_error: commandError(err) });
        }
        log.error({ duration_ms: Date.now() - started, err: result.command_error }, 'command failed');
      } finally {
        this.running = undefined;
        this.hooks.changed?.(this.results, undefined);
        if (spec.async) this.hooks.asyncDone?.(result);
      }
    })();
    this.running = { record, done };
    this.hooks.changed?.(this.results, spec.async ? record : undefined);
    if (!spec.async || wait) await done;
    return this.get(id) ?? result;
  }
}
