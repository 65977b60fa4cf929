import { isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { fromPointer, type ReportEntry } from './report';

/** A plan read from text: its data, where each node is, and what went wrong reading it. */
export interface SourceDocument {
  readonly data: unknown;
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
  readonly errors: readonly ReportEntry[];
}

/**
 * Parses JSON or YAML text (YAML is a superset of JSON) keeping node positions, so that every report
 * entry can carry a line and column. Duplicate keys are reported, not silently merged.
 */
export function parseSource(text: string): SourceDocument {
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
