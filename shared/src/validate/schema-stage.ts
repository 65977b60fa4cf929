import type { z } from 'zod';
import { PLAN_VERSION, PlanV1, type Plan } from '../plan/v1/plan';
import type { Code } from '../report/codes';
import type { ReportBuilder } from '../report/report';

type Issue = z.core.$ZodIssue;
type FlatIssue = Issue & { path: PropertyKey[] };

function prefixed(issue: Issue, prefix: PropertyKey[]): FlatIssue {
  return { ...issue, path: [...prefix, ...issue.path] } as FlatIssue;
}

/** Unions report every branch; keep the branch whose shape matched, so errors point inside it. */
function flatten(issues: readonly Issue[], prefix: PropertyKey[] = []): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const matched = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (matched.length === 1) {
        out.push(...flatten(matched[0]!, [...prefix, ...issue.path]));
        continue;
      }
    }
    out.push(prefixed(issue, prefix));
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describe(issue: FlatIssue): { code: Code; message: string } {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return { code: 'schema.required', message: `required field is missing` };
      return { code: 'schema.invalid_type', message: `expected ${issue.expected}, got ${typeName(issue.input)}` };
    case 'invalid_value':
      return {
        code: 'schema.invalid_value',
        message: `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'invalid_format':
      return { code: 'schema.invalid_value', message: `not a valid ${issue.format}` };
    case 'too_small':
      return {
        code: 'schema.too_small',
        message: issue.origin === 'array' ? `needs at least ${String(issue.minimum)} item(s)` : `must be at least ${String(issue.minimum)}`,
      };
    case 'too_big':
      return {
        code: 'schema.too_big',
        message:
          issue.origin === 'string'
            ? `at most ${String(issue.maximum)} characters`
            : issue.origin === 'array'
              ? `at most ${String(issue.maximum)} item(s)`
              : `must be at most ${String(issue.maximum)}`,
      };
    case 'invalid_union':
      return { code: 'schema.invalid_type', message: `has none of the accepted forms (got ${typeName(issue.input)})` };
    case 'custom': {
      const code = (issue.params as { anvil?: Code } | undefined)?.anvil ?? 'schema.invalid_value';
      return { code, message: issue.message };
    }
    default:
      return { code: 'schema.invalid_value', message: issue.message };
  }
}

function removeKeys(data: unknown, path: PropertyKey[], keys: readonly string[]): void {
  let node: unknown = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  if (node && typeof node === 'object') for (const k of keys) Reflect.deleteProperty(node, k);
}

/**
 * Checks the shape of the plan. Unknown keys are warnings (the plan is re-read without them); every
 * other problem is an error and stops semantic validation. Returns the typed plan when the shape is right.
 */
export function checkSchema(data: unknown, rb: ReportBuilder): Plan | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    rb.add('schema.invalid_type', [], `a plan is an object, got ${typeName(data)}`);
    return undefined;
  }
  const version = (data as { version?: unknown }).version;
  if (version !== undefined && version !== PLAN_VERSION) {
    rb.add('plan.unsupported_version', ['version'], `plan version ${JSON.stringify(version)} is not supported; this Anvil reads version ${PLAN_VERSION}`);
    return undefined;
  }
  const current: unknown = structuredClone(data);
  for (let pass = 0; pass < 8; pass++) {
    const result = PlanV1.safeParse(current, { reportInput: true });
    if (result.success) return result.data;
    const issues = flatten(result.error.issues);
    const unknown = issues.filter((i) => i.code === 'unrecognized_keys');
    const others = issues.filter((i) => i.code !== 'unrecognized_keys');
    for (const u of unknown) {
      if (u.code !== 'unrecognized_keys') continue;
      for (const key of u.keys) rb.add('schema.unknown_key', [...u.path.map(String), key], `unknown key "${key}" is ignored`);
      removeKeys(current, u.path, u.keys);
    }
    if (others.length > 0) {
      for (const issue of others) {
        const { code, message } = describe(issue);
        rb.add(code, issue.path.map((p) => (typeof p === 'number' ? p : String(p))), message);
      }
      return undefined;
    }
  }
  return undefined;
}
