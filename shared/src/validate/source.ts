import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { clip, fromPointer, type ReportEntry } from '../report/report';
import { lineStarts, position } from './positions';
import { checkValueBounds, scanJsonBounds, scanYamlDepth, type BoundsKind } from './bounds';

/** A plan read from text: its data, where each node is, and what went wrong reading it. */
export interface SourceDocument {
  readonly data: unknown;
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
  readonly errors: readonly ReportEntry[];
}


/** Parse errors kept from one text: a binary file makes the YAML parser report one per line. */
const PARSE_ERRORS = 20;

const nowhere = (): undefined => undefined;

/** The parse errors to report: the first PARSE_ERRORS, and one entry saying how many more were left out. */
function capped(errors: ReportEntry[]): ReportEntry[] {
  if (errors.length <= PARSE_ERRORS) return errors;
  const rest = errors.length - PARSE_ERRORS;
  const next = errors[PARSE_ERRORS]!;
  // At the first one left out, so that it sorts after the ones kept.
  const at = next.line !== undefined ? { line: next.line, column: next.column ?? 1 } : {};
  return [...errors.slice(0, PARSE_ERRORS), { severity: 'error', code: 'plan.parse_error', pointer: '', ...at, message: `${rest.toLocaleString('en')} more parse error${rest === 1 ? '' : 's'} from here on left out` }];
}

/**
 * JSON text: first its bounds, token by token (shared/src/validate/bounds.ts); then a strict, fast parse with
 * positions (jsonc-parser), comments and trailing commas refused.
 */
function parseJson(text: string, bounds: BoundsKind): SourceDocument {
  const refused = scanJsonBounds(text, bounds);
  if (refused.length) return { data: undefined, locate: nowhere, errors: refused };
  const starts = lineStarts(text);
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const errors: ReportEntry[] = parseErrors.map((e) => ({
    severity: 'error',
    code: 'plan.parse_error',
    pointer: '',
    ...position(starts, e.offset),
    message: `invalid JSON: ${printParseErrorCode(e.error)}`,
  }));
  if (errors.length > PARSE_ERRORS) return { data: undefined, locate: nowhere, errors: capped(errors) };
  const dupes = (node: JsonNode | undefined): void => {
    if (!node) return;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0];
        if (key && typeof key.value === 'string') {
          if (seen.has(key.value)) {
            errors.push({ severity: 'error', code: 'plan.duplicate_key', pointer: '', ...position(starts, key.offset), message: `duplicate key "${clip(key.value, 80)}"` });
          }
          seen.add(key.value);
        }
        dupes(prop.children?.[1]);
      }
    } else if (node.type === 'array') node.children?.forEach(dupes);
  };
  dupes(root);
  const locate = (pointer: string): { line: number; column: number } | undefined => {
    if (!root) return undefined;
    const segs = fromPointer(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    for (let n = segs.length; n >= 0; n--) {
      const node = findNodeAtLocation(root, segs.slice(0, n));
      if (node) return position(starts, node.offset);
    }
    return undefined;
  };
  return { data: errors.length || !root ? undefined : (getNodeValue(root) as unknown), locate, errors: capped(errors) };
}

export interface ParseOptions {
  /**
   * Which bounds the text is held to before it is parsed (shared/src/plan/limits.ts): `plan`, all of a plan's;
   * `depth` (the default), only nesting, which any document must pass before recursive code reads it.
   */
  readonly bounds?: BoundsKind;
}

/**
 * Parses the plan text keeping node positions, so that every report entry can carry a line and column:
 * JSON with a fast JSON parser, anything else as YAML (a superset of JSON). Duplicate keys are reported,
 * not silently merged. Text beyond the bounds is refused before the parse (or, for YAML, before it becomes data).
 */
export function parseSource(text: string, options: ParseOptions = {}): SourceDocument {
  const bounds = options.bounds ?? 'depth';
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    // Neither JSON nor YAML allows a NUL character anywhere: this is a binary file, not worth parsing.
    const message = `binary data, not JSON or YAML text (a NUL character at offset ${nul.toLocaleString('en')} of ${text.length.toLocaleString('en')} characters)`;
    return { data: undefined, locate: nowhere, errors: [{ severity: 'error', code: 'plan.parse_error', pointer: '', ...position(lineStarts(text.slice(0, nul)), nul), message }] };
  }
  if (/^\s*[{[]/.test(text)) return parseJson(text, bounds);
  return parseYaml(text, bounds);
}

/** What yaml throws when aliases expand beyond maxAliasCount. */
const ALIAS_BOMB = /alias/i;
/** Nodes resolved through aliases at most (yaml's maxAliasCount). */
const MAX_ALIAS_COUNT = 100;

function parseYaml(text: string, bounds: BoundsKind): SourceDocument {
  // The composer below recurses: nesting is checked on the concrete syntax tree first.
  const scanned = scanYamlDepth(text);
  if (scanned.entry) return { data: undefined, locate: nowhere, errors: [scanned.entry] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const errors: ReportEntry[] = [];
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    const duplicate = err.code === 'DUPLICATE_KEY';
    errors.push({
      severity: 'error',
      code: duplicate ? 'plan.duplicate_key' : 'plan.parse_error',
      pointer: '',
      line: pos.line,
      column: pos.col,
      message: clip(err.message.split('\n')[0] ?? err.message),
    });
  }
  let data: unknown;
  if (!errors.length) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const bomb = ALIAS_BOMB.test(message);
      errors.push({
        severity: 'error',
        code: bomb ? 'plan.alias_limit' : 'plan.parse_error',
        pointer: '',
        ...(bomb ? scanned.firstAlias : {}),
        message: bomb ? `aliases expand beyond ${MAX_ALIAS_COUNT} nodes (${message})` : clip(message),
      });
    }
  }

  const locate = (pointer: string): { line: number; column: number } | undefined => {
    let node: unknown = doc.contents;
    let last: Node | undefined = isScalar(node) || isCollection(node) ? (node as Node) : undefined;
    for (const seg of fromPointer(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
        if (!pair) break;
        // Point at the key for a missing/invalid child, at the value otherwise.
        const key = pair.key as Node;
        node = pair.value;
        last = (isScalar(node) || isCollection(node) ? (node as Node) : key) ?? key;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        if (item === undefined) break;
        node = item;
        if (isScalar(node) || isCollection(node)) last = node as Node;
      } else {
        break;
      }
    }
    const offset = last?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (data !== undefined && bounds === 'plan') {
    const refused = checkValueBounds(data, 'plan', '', locate);
    if (refused.length) return { data: undefined, locate, errors: refused };
  }
  return { data, locate, errors: capped(errors) };
}
