import { AnvilError, parseSource } from '@anvil/shared';

/**
 * JSON text read with the plan parser (shared/src/validate/source.ts), so the service and `anvil plan validate`
 * agree: a duplicate key is an error on both (`plan.duplicate_key`), a parse error points at its line, and nesting
 * beyond the plan's bound is `plan.too_deep` before any recursive parser runs. Returns the data, or throws 400
 * `request.invalid` (not JSON) or 422 `layout.invalid` (a duplicate key, too deep) with the parser's entries.
 */
export function parseStrictJson(text: unknown): unknown {
  if (typeof text !== 'string' || !/^\s*\{/.test(text)) throw new AnvilError('request.invalid', 'the body must be a JSON object (Content-Type: application/json)');
  const doc = parseSource(text);
  const errors = doc.errors.filter((e) => e.severity === 'error');
  if (errors.length) {
    const entries = errors.map((e) => ({ severity: e.severity, code: e.code, pointer: e.pointer, message: e.message, ...(e.line !== undefined ? { line: e.line, column: e.column } : {}) }));
    const first = errors[0]!;
    const where = first.line !== undefined ? ` at line ${first.line}` : '';
    // Not JSON at all is a bad request; JSON with a key twice is JSON no plan may be (the CLI's rule).
    if (errors.some((e) => e.code === 'plan.parse_error')) throw new AnvilError('request.invalid', `the body is not JSON${where}: ${first.message}`, { entries });
    throw new AnvilError('layout.invalid', `the body holds ${first.code}${where}: ${first.message}`, { entries });
  }
  return doc.data;
}
