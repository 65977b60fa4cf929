import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { AnvilError, type CompiledPlan } from '@anvil/shared';

const StateFile = z.strictObject({
  planHash: z.string(),
  done: z.array(z.number().int()),
  updatedAt: z.string(),
});

export function planHash(compiled: CompiledPlan): string {
  return createHash('sha256').update(JSON.stringify(compiled.actions)).digest('hex');
}

/** Which actions of this compiled plan are done, kept on disk after every action so a run can resume. */
export class StateStore {
  private readonly done = new Set<number>();

  constructor(private readonly path: string | undefined, private readonly hash: string) {}

  /** Loads a previous run's state for --resume; refuses a state written for another plan. */
  load(): void {
    if (!this.path || !existsSync(this.path)) return;
    const parsed = StateFile.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
    if (!parsed.success) throw new AnvilError('state.unreadable', `state file ${this.path} is not an Anvil state file`);
    if (parsed.data.planHash !== this.hash) {
      throw new AnvilError('state.plan_changed', `state file ${this.path} belongs to another plan (or inventory); start over without --resume`);
    }
    parsed.data.done.forEach((s) => this.done.add(s));
  }

  isDone(seq: number): boolean {
    return this.done.has(seq);
  }

  get count(): number {
    return this.done.size;
  }

  markDone(seq: number): void {
    this.done.add(seq);
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ planHash: this.hash, done: [...this.done].sort((a, b) => a - b), updatedAt: new Date().toISOString() }));
    renameSync(tmp, this.path);
  }
}
