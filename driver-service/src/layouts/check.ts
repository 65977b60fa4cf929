import { z } from 'zod';
import { AnvilError, checkValueBounds, PLAN_LIMITS, validatePlan, type ReportEntry } from '@anvil/shared';
import { fillLayout, SAMPLE_VALUES } from '../plan/fill';
import { parseStrictJson } from '../plan/strict-json';

/*
 * What `PUT /v1/layouts/{name}` checks, as one function of the body's text: the service runs it in a worker thread
 * for a large body (./checker.ts), so that parsing, filling and validating a plan of megabytes never holds the
 * event loop the agents' plan fetches and progress reports wait on.
 */

export const LayoutWrite = z.strictObject({
  description: z.string().max(PLAN_LIMITS.descriptionChars).optional(),
  plan: z.record(z.string(), z.unknown()),
  default: z.boolean().optional(),
});

export interface CheckedLayout {
  readonly description?: string;
  readonly plan: Record<string, unknown>;
  readonly default: boolean;
}

/** An AnvilError as data: what crosses from the worker thread back to the route. */
export interface RefusedLayout {
  readonly code: AnvilError['code'];
  readonly message: string;
  readonly details: Record<string, unknown>;
  readonly status: number;
}

export type LayoutCheck = { readonly ok: true; readonly layout: CheckedLayout } | { readonly ok: false; readonly refused: RefusedLayout };

/** 422 `layout.invalid` with the entries beside the code (the error handler lifts them out of details). */
function invalid(name: string, entries: readonly ReportEntry[]): AnvilError {
  return new AnvilError('layout.invalid', `layout ${name} is not a valid plan`, { entries: entries.map((e) => ({ severity: e.severity, code: e.code, pointer: e.pointer, message: e.message })) });
}

function check(text: unknown, name: string): CheckedLayout {
  const body = LayoutWrite.safeParse(parseStrictJson(text));
  if (!body.success) throw new AnvilError('request.invalid', `layout: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? ''}`);
  // The plan's bounds first (shared/src/plan/limits.ts): filling and validating cost what the plan holds.
  const beyond = checkValueBounds(body.data.plan, 'plan');
  if (beyond.length) throw invalid(name, beyond);
  // Validated as a deploy would see it, with sample values in the placeholders.
  const sample = fillLayout(body.data.plan, SAMPLE_VALUES, { nodeUuid: '00000000-0000-4000-8000-000000000000', deploymentId: 'validation', layout: name });
  const report = validatePlan(JSON.stringify(sample)).report;
  if (!report.valid) throw invalid(name, report.entries);
  return { ...(body.data.description !== undefined ? { description: body.data.description } : {}), plan: body.data.plan, default: body.data.default ?? false };
}

/** Checks a layout body; never throws (an AnvilError becomes `refused`, anything else is thrown as it is a bug). */
export function checkLayout(text: unknown, name: string): LayoutCheck {
  try {
    return { ok: true, layout: check(text, name) };
  } catch (err) {
    if (!(err instanceof AnvilError)) throw err;
    return { ok: false, refused: { code: err.code, message: err.message, details: { ...err.details }, status: err.status } };
  }
}
