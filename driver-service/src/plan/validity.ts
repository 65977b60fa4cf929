import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { validatePlan, type Report } from '@anvil/shared';

/**
 * Validation of filled plans, memoised by their text: a thousand nodes deploying the same layout with the
 * same image get one validation between them, not one per plan fetch. A plan's validity depends on its text
 * alone, so a remembered report is the report.
 */
export class PlanValidity {
  private readonly reports: LRUCache<string, Report>;

  constructor(max = 512) {
    this.reports = new LRUCache({ max });
  }

  report(text: string): Report {
    const key = createHash('sha256').update(text).digest('base64url');
    let report = this.reports.get(key);
    if (!report) {
      report = validatePlan(text).report;
      this.reports.set(key, report);
    }
    return report;
  }
}
