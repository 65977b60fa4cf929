import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { fromPointer, type ReportEntry } from '../report/report';

/** A plan read from text: its data, where each node is, and what went wrong reading it. */
export interface SourceDocument {
  readonly data: unknown;
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
  readonly errors: readonly ReportEntry[];
}

/** Offsets of line starts, to turn an offset into a 1-based line and column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** JSON text: a strict, fast parse with positions (jsonc-parser), comments and trailing commas refused. */
function parseJson(text: string): SourceDocument {
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
  const dupes = (node: JsonNode | undefined): void => {
    if (!node) return;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0];
        if (key && typeof key.value === 'string') {
          if (seen.has(key.value)) {
            errors.push({ severity: 'error', code: 'plan.duplicate_key', pointer: '', ...position(starts, key.offset), message: `duplicate key "${key.value}"` });
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
  return { data: errors.length || !root ? undefined : (getNodeValue(root) as unknown), locate, errors };
}

/**
 * Parses the plan text keeping node positions, so that every report entry can carry a line and column:
 * JSON with a fast JSON parser, anything else as YAML (a superset of JSON). Duplicate keys are reported,
 * not silently merged.
 */
export function parseSource(text: string): SourceDocument {
  if (/^\s*[{[]/.test(text)) return parseJson(text);
  return parseYaml(text);
}

function parseYaml(text: string): SourceDocument {
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
      message: err.message.split('\n')[0] ?? err.message,
    });
  }
  const data: unknown = errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });

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
  return { data, locate, errors };
}
