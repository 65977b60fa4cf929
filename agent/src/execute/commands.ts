import { appendFile } from 'node:fs/promises';
import { AnvilError, renderCommand, type Action, type Command } from '@anvil/shared';
import type { ImageFacts } from '../image/pipe-lookup';
import { conditionHolds, type ConditionEnv } from './conditions';
import { commandFailed, type ExecResult } from '../system/runner';
import type { ExecContext } from './context';

/** Values only the machine knows, for the `{name}` placeholders a command lists in `fill`. */
export type Fill = Readonly<Record<string, string | number>>;

function fillText(text: string, names: readonly string[], values: Fill): string {
  let out = text;
  for (const n of names) {
    if (values[n] === undefined) throw new AnvilError('exec.unfilled_command', `no value for {${n}}`);
    out = out.split(`{${n}}`).join(String(values[n]));
  }
  return out;
}

/** The command with its placeholders filled: exactly the names it lists, no others. */
export function fillCommand(c: Command, values: Fill = {}): Command {
  const names = c.fill ?? [];
  if (!names.length) return c;
  return {
    ...c,
    argv: c.argv.map((a) => fillText(a, names, values)),
    ...(c.stdin !== undefined ? { stdin: fillText(c.stdin, names, values) } : {}),
  };
}

/** Runs one compiled command (its fallback when it fails), honouring its success codes and `appendTo`. */
export async function runCommand(c: Command, ctx: ExecContext, values: Fill = {}): Promise<ExecResult> {
  const f = fillCommand(c, values);
  const ok = (r: ExecResult): boolean => r.exitCode === 0 || (r.exitCode !== null && (f.okCodes ?? []).includes(r.exitCode));
  const r = await ctx.runner.run(f.argv, { ...(f.stdin !== undefined ? { stdin: f.stdin } : {}), allowFail: true });
  if (!ok(r)) {
    if (f.fallback) return runCommand(f.fallback, ctx, values);
    throw commandFailed(r, f.failCode);
  }
  if (f.appendTo !== undefined) await appendFile(f.appendTo, r.stdout);
  return r;
}

export interface RunCommandsOptions {
  /** Only the commands of this group (a handler with several parts to its work). */
  readonly group?: string;
  readonly values?: Fill;
  readonly env?: Partial<ConditionEnv>;
  /** Waits for device nodes before a command that names them in `after`. */
  readonly waitFor?: (nodes: readonly string[]) => Promise<void>;
}

/** Runs an action's commands as compiled, skipping those whose conditions do not hold on this machine. */
export async function runCommands(action: Action, ctx: ExecContext, o: RunCommandsOptions = {}): Promise<void> {
  const env: ConditionEnv = { firmware: ctx.firmware, ...ctx.io.machine, ...o.env };
  for (const c of action.commands) {
    if ((c.group ?? undefined) !== o.group) continue;
    if (!(await conditionHolds(c.when, env))) {
      ctx.log.info({ cmd: renderCommand(c) }, 'condition does not hold on this machine: not run');
      continue;
    }
    if (c.after?.length && o.waitFor) await o.waitFor(c.after);
    await runCommand(c, ctx, o.values);
  }
}

/** Whether every placeholder the command lists has a value (a probe the handler is not asking for may have others). */
function fillable(c: Command, values: Fill): boolean {
  return (c.fill ?? []).every((n) => values[n] !== undefined);
}

function startsWith(argv: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((p, i) => argv[i] === p);
}

/**
 * Runs a probe the action declares (the first whose argv starts with `prefix`, after filling). A handler asking
 * for a probe its action does not declare is a bug in Anvil: the action would not be the whole truth.
 */
export async function probe(action: Action, ctx: ExecContext, prefix: readonly string[], values: Fill = {}): Promise<ExecResult> {
  const declared = (action.probes ?? []).filter((p) => fillable(p, values)).map((p) => fillCommand(p, values)).find((p) => startsWith(p.argv, prefix));
  if (!declared) throw new AnvilError('exec.undeclared_command', `${action.kind} ${action.id} has no probe "${prefix.join(' ')}"`);
  return ctx.runner.run(declared.argv, { allowFail: true });
}

/** The stream-process lookup the image pipeline takes, answering from the action's declared pipes. */
export function pipeLookup(action: Pick<Action, 'kind' | 'id' | 'pipes'>, env: Omit<ConditionEnv, keyof ImageFacts>): (prefix: readonly string[], values?: Fill, facts?: ImageFacts) => Promise<string[]> {
  return (prefix, values, facts) => pipeArgv(action, prefix, { ...env, ...facts }, values);
}

/** The argv of a declared pipe whose conditions hold (first match of `prefix`), filled. */
export async function pipeArgv(action: Pick<Action, 'kind' | 'id' | 'pipes'>, prefix: readonly string[], env: ConditionEnv, values: Fill = {}): Promise<string[]> {
  for (const p of action.pipes ?? []) {
    if (!fillable(p, values)) continue;
    const f = fillCommand(p, values);
    if (!startsWith(f.argv, prefix) || !(await conditionHolds(p.when, env))) continue;
    return [...f.argv];
  }
  throw new AnvilError('exec.undeclared_command', `${action.kind} ${action.id} has no stream process "${prefix.join(' ')}" for this machine`);
}
