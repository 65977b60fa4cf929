import { ID_RE } from '../plan/v1/common';

/** A remark made while converting a foreign format: where in the input, and what was changed or dropped. */
export interface ConversionWarning {
  readonly pointer: string;
  readonly message: string;
}

export interface Conversion {
  /** The native plan (not yet validated: run validatePlan on it). */
  readonly plan: Record<string, unknown>;
  readonly warnings: readonly ConversionWarning[];
}

/** Makes a plan id from a foreign name, unique within `taken`. */
export function makeId(raw: string, taken: Set<string>, prefix = 'x'): string {
  let base = raw.replace(/^\/dev\//, '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[A-Za-z]/.test(base)) base = `${prefix}-${base}`;
  base = base.slice(0, 60);
  if (!ID_RE.test(base)) base = prefix;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

/** A mount value of Fuel/bareon: "none", "" and missing mean no mount. */
export function mountOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return v === '' || v === 'none' ? undefined : v;
}

export function fsTypeOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return v === '' || v === 'none' ? undefined : v;
}
