import type { Plan } from '../../plan/v1/plan';
import type { Capacity } from '../../layout/capacity';
import type { PlanModel } from '../../model/model';
import type { ReportBuilder } from '../../report/report';

export interface RuleContext {
  readonly plan: Plan;
  readonly model: PlanModel;
  readonly rb: ReportBuilder;
}

/** A rule that needs device sizes runs after capacity is computed. */
export interface SizedRuleContext extends RuleContext {
  readonly capacity: Capacity;
}
