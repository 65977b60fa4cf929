import type { Plan } from '../plan/v1/plan';
import { ancestry, type PlanModel } from './model';

export function dataPolicy(plan: Plan): 'clean' | 'verify' {
  return plan.policy?.data ?? 'clean';
}

/** Whether the data of a filesystem (or anything on a device) must survive: its own keep or a kept ancestor. */
export function isKept(model: PlanModel, id: string): boolean {
  return ancestry(model, id).some((a) => {
    const n = model.nodes.get(a);
    return n !== undefined && 'keep' in n.obj && n.obj.keep === true;
  });
}
