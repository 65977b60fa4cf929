import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CommandResult, RunningRecord } from './commands/registry';

/**
 * What survives a restart of the agent within one boot (the state directory is a tmpfs in the ramdisk):
 * Ironic hands the agent token out only at the first lookup, and treats an agent with no command history
 * as freshly booted, so both are kept, with the parameters of a command that was running.
 */
export const AgentState = z.object({
  bootId: z.string(),
  nodeUuid: z.string(),
  token: z.string().optional(),
  callbackUrl: z.string(),
  commands: z.array(z.custom<CommandResult>((v) => typeof v === 'object' && v !== null && 'id' in v && 'command_status' in v)),
  running: z.object({ id: z.string(), name: z.string(), params: z.record(z.string(), z.unknown()) }).optional(),
});
export type AgentStateT = z.infer<typeof AgentState>;

export function bootId(path = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export class AgentStateFile {
  private readonly path: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'agent.json');
  }

  /** The saved state, if it is from this boot. */
  load(currentBoot: string): AgentStateT | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      const parsed = AgentState.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      return parsed.success && parsed.data.bootId === currentBoot ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  save(state: AgentStateT): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  update(patch: Partial<AgentStateT> & { running?: RunningRecord | undefined }, base: AgentStateT): AgentStateT {
    const next = { ...base, ...patch };
    if (patch.running === undefined && 'running' in patch) delete next.running;
    this.save(next);
    return next;
  }
}
