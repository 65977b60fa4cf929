import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AnvilError, compileValidated, renderActions, validatePlan, formatEntry, type CompiledPlan, type InventoryT, type Logger, type ValidationResult } from '@anvil/shared';
import { executePlan } from './execute/executor';
import type { Runner } from './system/runner';
import { planHash, StateStore } from './execute/state';
import { httpBytes } from './image/http-source';
import { readInventory, type InventoryOptions } from './inventory/lsblk';
import { resolveTeardown } from './teardown/run';
import type { Reporter } from './report/events';

export interface ProvisionOptions {
  /** A path or an http(s) URL; with `planText`, only the name used in messages. */
  readonly plan: string;
  /** The plan itself, already fetched (the ramdisk daemon resolves it from Ironic's node fields). */
  readonly planText?: string;
  readonly dryRun?: boolean;
  readonly resume?: boolean;
  readonly stateFile?: string;
  readonly targetRoot?: string;
  readonly seed?: string;
  readonly firmware?: 'bios' | 'uefi';
  readonly inventory?: InventoryOptions;
  readonly runner: Runner;
  readonly log: Logger;
  readonly reporter: Reporter;
  /** Told the disks as soon as they are read, before the plan is validated against them (the ramdisk sends them to the driver-service). */
  readonly onInventory?: (inventory: InventoryT) => void;
}

export interface ProvisionResult {
  readonly validation: ValidationResult;
  readonly compiled?: CompiledPlan;
  readonly dryRun?: string;
}

export async function loadPlanText(source: string, log: Logger): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const parts: Buffer[] = [];
    for await (const c of httpBytes(source, { log, retries: 5 })) parts.push(c);
    return Buffer.concat(parts).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch {
    throw new AnvilError('provision.plan_unreadable', `cannot read the plan ${source}`);
  }
}

export function detectFirmware(): 'bios' | 'uefi' {
  return existsSync('/sys/firmware/efi') ? 'uefi' : 'bios';
}

/**
 * inventory → validate → compile → execute. Nothing is touched unless the whole plan validates against
 * this machine's disks; disks the plan does not name are never touched.
 */
export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const text = o.planText ?? (await loadPlanText(o.plan, o.log));
  const inventory = await readInventory(o.runner, o.inventory);
  o.onInventory?.(inventory);
  const validation = validatePlan(text, { inventory });
  if (!validation.report.valid) {
    const lines = validation.report.entries.filter((e) => e.severity === 'error').map((e) => formatEntry(e, o.plan));
    throw new AnvilError('provision.invalid_plan', `the plan is not valid for this machine; nothing was touched:\n${lines.join('\n')}`, {
      entries: validation.report.entries,
      summary: lines.slice(0, 3).join('; ') + (lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''),
    });
  }
  for (const w of validation.report.entries) o.log.warn({ code: w.code, pointer: w.pointer }, w.message);
  const pure = compileValidated(validation, { ...(o.targetRoot ? { targetRoot: o.targetRoot } : {}), ...(o.seed ? { seed: o.seed } : {}) });
  // The teardown is planned from what holds the disks now, before anything runs (and shown by the dry-run).
  const compiled = resolveTeardown(pure, o.log);
  if (o.dryRun) return { validation, compiled, dryRun: renderActions(compiled) };
  o.log.info({ disks: compiled.disks, untouched: compiled.untouchable, actions: compiled.actions.length }, 'provisioning');
  // The state is of the compiled plan as the plan and inventory make it (images and checksums included); what
  // the teardown found differs after a crash, and must not make a resume look like another plan.
  const state = new StateStore(o.stateFile, planHash(pure));
  if (o.resume) state.load();
  await executePlan({
    compiled,
    runner: o.runner,
    log: o.log,
    reporter: o.reporter,
    state,
    firmware: o.firmware ?? detectFirmware(),
    resuming: Boolean(o.resume) && state.count > 0,
  });
  o.log.info(memoryFigures(), 'provisioned: the memory it took');
  return { validation, compiled };
}

/**
 * The agent's peak resident memory and the machine's memory now (a deploy ramdisk holds its whole root in RAM:
 * what is left is what an image pipeline may use). Logged at the end of every provisioning, for operators sizing
 * small machines and for the lab's memory scenario.
 */
export function memoryFigures(): { peak_rss_bytes: number; mem_total_bytes?: number; mem_available_bytes?: number } {
  const out: { peak_rss_bytes: number; mem_total_bytes?: number; mem_available_bytes?: number } = { peak_rss_bytes: process.resourceUsage().maxRSS * 1024 };
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kib = (name: string): number | undefined => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const total = kib('MemTotal');
    const available = kib('MemAvailable');
    if (total !== undefined) out.mem_total_bytes = total;
    if (available !== undefined) out.mem_available_bytes = available;
  } catch {
    // not Linux: the peak RSS alone
  }
  return out;
}
