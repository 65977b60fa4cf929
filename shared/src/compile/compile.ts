import { AnvilError } from '../errors/anvil-error';
import { dataPolicy } from '../model/policy';
import { validatePlan, type ValidateOptions, type ValidationResult } from '../validate/validate';
import type { Report } from '../report/report';
import type { CompiledPlan } from './actions';
import { deviceMap } from './devices';
import { compileArrays, compileLvm } from './phases/storage';
import { compileTables, compileTeardown } from './phases/disks';
import { compileImagesAndFilesystems, compileMountsAndTrees } from './phases/images';
import { compileBootloader, compileConfigdrive, compileFstab, compileUnmount } from './phases/finish';
import { CompileState } from './state';
import { planSeed } from './uuids';

export interface CompileOptions {
  /** Where the deployed tree is mounted while the agent works. Default `/mnt/anvil`. */
  readonly targetRoot?: string;
  /** Seeds derived filesystem UUIDs. Default: metadata.deployment_id, else node_uuid, else a hash of the plan. */
  readonly seed?: string;
}

/** The phases, in the order their actions run. */
const PHASES = [compileTeardown, compileTables, compileArrays, compileLvm, compileImagesAndFilesystems, compileMountsAndTrees, compileConfigdrive, compileFstab, compileBootloader, compileUnmount];

/**
 * Turns a validated plan and its inventory into the exact, ordered actions the agent runs. Pure and
 * deterministic: the same plan, inventory and seed always give the same actions. Each action carries all its
 * handler needs; the handler reads nothing else of the plan.
 */
export function compileValidated(v: ValidationResult, options: CompileOptions = {}): CompiledPlan {
  if (!v.report.valid || !v.plan || !v.model || !v.capacity) {
    throw new AnvilError('compile.invalid_plan', 'the plan does not validate; fix the reported errors first', { entries: v.report.entries });
  }
  if (!v.resolved || v.resolved.size !== v.plan.disks.length) {
    throw new AnvilError('compile.no_inventory', 'compiling needs an inventory that resolves every disk of the plan');
  }
  const { plan, model, capacity, resolved } = v;
  const seed = options.seed ?? plan.metadata?.deployment_id ?? plan.metadata?.node_uuid ?? planSeed(plan);
  const state = new CompileState(plan, model, capacity, resolved, deviceMap(model, resolved, capacity), dataPolicy(plan), options.targetRoot ?? '/mnt/anvil', seed);
  for (const phase of PHASES) phase(state);
  return {
    policy: state.policy,
    targetRoot: state.targetRoot,
    disks: plan.disks.map((d) => state.dev(d.id)),
    untouchable: v.untouchable,
    actions: state.actions,
  };
}

export interface CompileResult {
  readonly report: Report;
  readonly compiled?: CompiledPlan;
  readonly validation: ValidationResult;
}

/** Validates, then compiles when valid. Never throws for a bad plan: the report says why. */
export function compilePlan(input: string | unknown, options: ValidateOptions & CompileOptions): CompileResult {
  const validation = validatePlan(input, options);
  if (!validation.report.valid) return { report: validation.report, validation };
  if (!validation.resolved) {
    throw new AnvilError('compile.no_inventory', 'compiling needs an inventory');
  }
  return { report: validation.report, compiled: compileValidated(validation, options), validation };
}
