import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provision, SystemRunner, type ProgressEvent } from '@anvil/agent';
import { createLogger, silentLogger } from '@anvil/shared';
import pino from 'pino';

export interface RunResult {
  events: ProgressEvent[];
  error?: { code: string; message: string };
}

/** Runs the real provisioning (real tools, real devices) in process, on the given loop devices only. */
export async function runProvision(plan: unknown, disks: readonly string[], opts: { resume?: boolean; stateFile?: string; targetRoot?: string; firmware?: 'bios' | 'uefi' } = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-prov-'));
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const events: ProgressEvent[] = [];
  const log = process.env.ANVIL_TEST_LOG ? createLogger({ level: 'info', destination: pino.destination({ dest: process.env.ANVIL_TEST_LOG, append: true, sync: true }) }) : silentLogger();
  try {
    await provision({
      plan: planFile,
      runner: new SystemRunner(log),
      log,
      reporter: { emit: (e) => void events.push(e) },
      inventory: { includeLoop: true, only: disks },
      stateFile: opts.stateFile ?? join(dir, 'state.json'),
      targetRoot: opts.targetRoot ?? join(dir, 'target'),
      firmware: opts.firmware ?? 'bios',
      ...(opts.resume ? { resume: true } : {}),
    });
    return { events };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { events, error: { code: e.code ?? 'unknown', message: e.message ?? String(err) } };
  }
}
