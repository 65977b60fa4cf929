import type { Plan } from '../plan/v1/plan';
import type { DiskGeometry, InventoryDiskT, InventoryT } from '../inventory/schema';
import { computeCapacity, type Capacity } from '../layout/capacity';
import { buildModel, type PlanModel } from '../model/model';
import { ReportBuilder, type Report } from '../report/report';
import { checkSchema } from './schema-stage';
import { parseSource } from './source';
import { checkValueBounds } from './bounds';
import { PLAN_LIMITS } from '../plan/limits';
import { checkReferences } from './rules/references';
import { checkDisks } from './rules/partitions';
import { checkRaids } from './rules/raid';
import { checkVolumeGroups } from './rules/lvm';
import { checkFilesystems, checkFilesystemSizes } from './rules/filesystems';
import { checkBoot } from './rules/boot';
import { checkConfigdrive } from './rules/configdrive';
import { configdriveBytes } from '../model/configdrive';
import { checkImages } from './rules/images';
import { checkPolicy } from './rules/policy';
import { hintGeometries, parseInventory, resolveInventory } from './rules/inventory';
import type { RuleContext } from './rules/context';

export interface ValidateOptions {
  /** The machine's disks. With it, selectors are resolved and sizes checked against real capacity. */
  readonly inventory?: unknown;
}

export interface ValidationResult {
  readonly report: Report;
  /** The typed plan, when its shape is right (even if semantic checks failed). */
  readonly plan?: Plan;
  readonly model?: PlanModel;
  readonly capacity?: Capacity;
  /** Plan disk id → the inventory disk it selects (with an inventory). */
  readonly resolved?: ReadonlyMap<string, InventoryDiskT>;
  readonly geometries?: ReadonlyMap<string, DiskGeometry>;
  /** Inventory disks the plan does not name: nothing may touch them. */
  readonly untouchable: readonly string[];
}

const RULES: ReadonlyArray<(ctx: RuleContext) => void> = [
  checkReferences,
  checkDisks,
  checkRaids,
  checkVolumeGroups,
  checkFilesystems,
  checkPolicy,
  checkImages,
  checkConfigdrive,
  checkBoot,
];

function run(data: unknown, options: ValidateOptions, rb: ReportBuilder): Omit<ValidationResult, 'report'> {
  const plan = checkSchema(data, rb);
  let inventory: InventoryT | undefined;
  if (options.inventory !== undefined) inventory = parseInventory(options.inventory, rb);
  if (!plan) return { untouchable: inventory?.disks.map((d) => d.name) ?? [] };
  const model = buildModel(plan);
  const ctx: RuleContext = { plan, model, rb };
  for (const rule of RULES) rule(ctx);
  const resolution = inventory ? resolveInventory(ctx, inventory) : undefined;
  const geometries = resolution?.geometries ?? hintGeometries(ctx);
  const cd = plan.configdrive ? { disk: plan.configdrive.disk, bytes: configdriveBytes(plan.configdrive.size) } : undefined;
  const capacity = computeCapacity(model, geometries, cd, rb);
  checkFilesystemSizes({ ...ctx, capacity });
  return {
    plan,
    model,
    capacity,
    ...(resolution ? { resolved: resolution.resolved } : {}),
    geometries,
    untouchable: resolution?.untouchable ?? [],
  };
}

/**
 * Validates a plan completely and returns a report; it never throws. `input` is the plan's text (JSON
 * or YAML, so entries get line and column) or already-parsed data. A plan beyond the bounds of
 * shared/src/plan/limits.ts is refused before anything expensive or recursive reads it.
 */
export function validatePlan(input: string | unknown, options: ValidateOptions = {}): ValidationResult {
  const rb = new ReportBuilder();
  let locate: ((p: string) => { line: number; column: number } | undefined) | undefined;
  let data: unknown = input;
  if (typeof input === 'string') {
    if (input.length > PLAN_LIMITS.textChars) {
      rb.add('plan.too_large', '', `the plan text has ${input.length.toLocaleString('en')} characters; at most ${PLAN_LIMITS.textChars.toLocaleString('en')} are read`);
      return { report: rb.build(), untouchable: [] };
    }
    const src = parseSource(input, { bounds: 'plan' });
    src.errors.forEach((e) => rb.addEntry(e));
    if (src.errors.length) return { report: rb.build(), untouchable: [] };
    data = src.data;
    locate = src.locate;
  } else {
    const refused = checkValueBounds(input, 'plan');
    refused.forEach((e) => rb.addEntry(e));
    if (refused.length) return { report: rb.build(), untouchable: [] };
  }
  try {
    const rest = run(data, options, rb);
    return { report: rb.build(locate), ...rest };
  } catch (err) {
    rb.add('plan.internal_error', '', `the validator failed: ${err instanceof Error ? err.message : String(err)}`);
    return { report: rb.build(locate), untouchable: [] };
  }
}
