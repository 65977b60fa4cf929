import { CST, Parser } from 'yaml';
import { PLACE_LIMITS, PLAN_LIMITS } from '../plan/limits';
import type { Code } from '../report/codes';
import { toPointer, type ReportEntry } from '../report/report';
import { positions } from './positions';

/*
 * The plan's bounds (shared/src/plan/limits.ts), checked without recursion and without building anything that
 * grows with the input: over JSON text token by token, before the position-keeping parse; over YAML's concrete
 * syntax tree, before it is composed into data; over parsed data, before the schema or the plan filler read it.
 * The three share one walk of rules, so a plan gets the same entries whichever form it came in.
 */

// Read once: the hot loops below compare against these for every character or value.
const { depth: MAX_DEPTH, values: MAX_VALUES, keyChars: MAX_KEY, entries: MAX_ENTRIES, items: MAX_ITEMS, stringChars: MAX_CHARS } = PLAN_LIMITS;

/** The bound of one place of the plan, and of the places below it. */
interface Rule {
  items: number;
  /** Items of all lists at this place together (PlaceLimit.total), and the place's pattern for the message. */
  total?: { readonly max: number; readonly path: string };
  chars: number;
  readonly children: Map<string, Rule>;
  /** `*`: any one segment. */
  any?: Rule;
  /** `**`: any place below. */
  rest?: Rule;
}

function newRule(): Rule {
  return { items: MAX_ITEMS, chars: MAX_CHARS, children: new Map() };
}

/** Anything no place limit names: the general bounds, for itself and all below. */
const GENERAL: Rule = newRule();

function buildRules(): Rule {
  const root = newRule();
  for (const limit of PLACE_LIMITS) {
    let node = root;
    for (const seg of limit.path.slice(1).split('/')) {
      if (seg === '**') node = node.rest ??= newRule();
      else if (seg === '*') node = node.any ??= newRule();
      else {
        let next = node.children.get(seg);
        if (!next) node.children.set(seg, (next = newRule()));
        node = next;
      }
    }
    if (limit.items !== undefined) node.items = limit.items;
    if (limit.total !== undefined) node.total = { max: limit.total, path: limit.path };
    if (limit.chars !== undefined) node.chars = limit.chars;
  }
  return root;
}

const PLAN_RULES = buildRules();

/** Where a walk is: the rule of the place, and the nearest `**` above it (which every place below inherits). */
interface Place {
  readonly rule: Rule;
  readonly rest: Rule | undefined;
}

function childPlace(parent: Place, seg: string | number): Place {
  const rest = parent.rule.rest ?? parent.rest;
  const rule = parent.rule.children.get(String(seg)) ?? parent.rule.any ?? rest ?? GENERAL;
  return { rule, rest };
}

/** What is checked: a plan's bounds, or only nesting (any JSON document, e.g. a request body). */
export type BoundsKind = 'plan' | 'depth';

const ROOT: Record<BoundsKind, Place | undefined> = { plan: { rule: PLAN_RULES, rest: undefined }, depth: undefined };

type Where = { line: number; column: number } | undefined;

/** Collects bound entries; `full` once the scan should stop. */
class Findings {
  readonly entries: ReportEntry[] = [];
  values = 0;
  /** Enough entries: the scan stops. */
  full = false;
  /** Items counted so far against each plan-wide total. */
  private readonly totals = new Map<Rule, number>();

  /** Counts `n` items of a list at `rule`'s place against its plan-wide total; one entry when they pass it. */
  total(rule: Rule, n: number, pointer: () => string, where: () => Where): void {
    if (!rule.total) return;
    const before = this.totals.get(rule) ?? 0;
    this.totals.set(rule, before + n);
    if (before <= rule.total.max && before + n > rule.total.max) {
      this.add('plan.too_many', pointer(), `more than ${rule.total.max.toLocaleString('en')} items at \`${rule.total.path}\` in the whole plan; at most ${rule.total.max.toLocaleString('en')}`, where());
    }
  }

  add(code: Code, pointer: string, message: string, where: Where): ReportEntry {
    const entry: ReportEntry = { severity: 'error', code, pointer, message, ...(where ?? {}) };
    this.entries.push(entry);
    this.full = this.entries.length >= MAX_ENTRIES;
    return entry;
  }

  /** Counts one value; false (after one entry) once there are more than the plan may hold. */
  value(pointer: () => string, where: () => Where): boolean {
    this.values += 1;
    if (this.values <= MAX_VALUES) return true;
    this.add('plan.too_large', pointer(), `the plan holds more than ${MAX_VALUES.toLocaleString('en')} values; refused before reading the rest`, where());
    return false;
  }
}

const tooDeep = (): string => `nested deeper than ${MAX_DEPTH} levels; refused before reading what is inside`;
const tooMany = (n: number, max: number, more: boolean): string => `${more ? 'more than ' : ''}${n.toLocaleString('en')} items; at most ${max.toLocaleString('en')} here`;
const tooLong = (n: number, max: number, what = 'string'): string => `a ${what} of ${n.toLocaleString('en')} characters; at most ${max.toLocaleString('en')} here`;


interface JsonFrame {
  readonly array: boolean;
  readonly place: Place | undefined;
  /** The frame this container is in, and its key or index there (its pointer is built only for an entry). */
  readonly parent: JsonFrame | undefined;
  readonly seg: string | number;
  /** Where it opens: entries about the container point there, as they do for YAML and data. */
  readonly offset: number;
  count: number;
  key: string;
  expectKey: boolean;
  over?: { entry: ReportEntry; max: number };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const LOWER_U = 0x75;

/** Whitespace, or a character that ends a number or literal. */
function isDelimiter(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === COMMA || c === COLON || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === OPEN_BRACE || c === OPEN_BRACKET || c === QUOTE;
}

/** A key with escapes, as JSON.parse reads it (as written, when it is not valid JSON). */
function decodeKey(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * Checks JSON text against the bounds in one pass over its characters (no tree, no recursion, nothing kept but
 * the open containers), so a plan of 420,000 partitions is refused without building them and a plan nested
 * 10,000 deep at level 65. Strings are measured as JSON.parse would decode them; keys are decoded to know the
 * place. Text that is not JSON is scanned as far as it goes; the parser reports what is wrong with it.
 */
export function scanJsonBounds(text: string, kind: BoundsKind): ReportEntry[] {
  const found = new Findings();
  const at = positions(text);
  const stack: JsonFrame[] = [];
  const n = text.length;
  let start = 0;
  const where = (): Where => at(start);
  const segmentOf = (f: JsonFrame): string | number => (f.array ? f.count - 1 : f.key);
  const frameAt = (f: JsonFrame): string => {
    const segs: Array<string | number> = [];
    for (let g: JsonFrame | undefined = f; g?.parent; g = g.parent) segs.push(g.seg);
    return toPointer(segs.reverse());
  };
  const valueAt = (top: JsonFrame | undefined): string => (top ? `${frameAt(top)}${toPointer([segmentOf(top)])}` : '');
  const countItem = (f: JsonFrame): void => {
    f.count += 1;
    if (f.place?.rule.total) found.total(f.place.rule, 1, () => frameAt(f), () => at(f.offset));
    if (f.place && !f.over && f.count > f.place.rule.items) {
      f.over = { entry: found.add('plan.too_many', frameAt(f), tooMany(f.place.rule.items, f.place.rule.items, true), at(f.offset)), max: f.place.rule.items };
    }
  };
  let i = 0;
  scan: while (i < n && !found.full) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === COLON) {
      i += 1;
      continue;
    }
    start = i;
    const top = stack[stack.length - 1];
    if (c === COMMA) {
      if (top && !top.array) top.expectKey = true;
      i += 1;
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      const f = stack.pop();
      if (f?.over) (f.over.entry as { message: string }).message = tooMany(f.count, f.over.max, false);
      i += 1;
      continue;
    }
    // A string: its end, and its length once decoded (an escape is one character; \uXXXX too).
    let chars = 0;
    let escaped = false;
    if (c === QUOTE) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          j += text.charCodeAt(j + 1) === LOWER_U ? 6 : 2;
        } else j += 1;
        chars += 1;
      }
      i = j + 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      i += 1;
    } else {
      while (i < n && !isDelimiter(text.charCodeAt(i))) i += 1;
    }
    if (top && !top.array && top.expectKey) {
      if (c !== QUOTE) continue;
      countItem(top);
      top.expectKey = false;
      if (chars > MAX_KEY) {
        found.add('plan.string_too_long', frameAt(top), tooLong(chars, MAX_KEY, 'key'), at(top.offset));
        break;
      }
      top.key = escaped ? decodeKey(text.slice(start, i)) : text.slice(start + 1, i - 1);
      continue;
    }
    if (top?.array) countItem(top);
    if (kind === 'plan' && !found.value(() => valueAt(top), where)) break;
    const container = c === OPEN_BRACE || c === OPEN_BRACKET;
    // Numbers and literals have no bound of their own: no place to look up.
    if (!container && c !== QUOTE) continue;
    const seg = top ? segmentOf(top) : '';
    const place = top ? (top.place ? childPlace(top.place, seg) : undefined) : ROOT[kind];
    if (container) {
      if (stack.length >= MAX_DEPTH) {
        found.add('plan.too_deep', valueAt(top), tooDeep(), where());
        break scan;
      }
      stack.push({ array: c === OPEN_BRACKET, place, parent: top, seg, offset: start, count: 0, key: '', expectKey: true });
    } else if (place && chars > place.rule.chars) {
      found.add('plan.string_too_long', valueAt(top), tooLong(chars, place.rule.chars), where());
    }
  }
  // A list still open when the scan stopped keeps the "more than" of its count so far.
  return found.entries;
}

interface ValueItem {
  readonly value: unknown;
  readonly seg: string | number;
  readonly parent: ValueItem | undefined;
  readonly depth: number;
  readonly place: Place | undefined;
}

function pointerOf(item: ValueItem | undefined, prefix: string): string {
  const segs: Array<string | number> = [];
  for (let i = item; i?.parent; i = i.parent) segs.push(i.seg);
  return prefix + toPointer(segs.reverse());
}

/**
 * Checks parsed data (from YAML, or handed in as objects) against the bounds with an explicit stack, never
 * recursing and never going below the depth bound (so a cycle or an alias-shared graph ends too). `prefix` is
 * the pointer of the data in its document (e.g. `/plan` in a layout).
 */
export function checkValueBounds(data: unknown, kind: BoundsKind, prefix = '', where: (pointer: string) => Where = () => undefined): ReportEntry[] {
  const found = new Findings();
  const stack: ValueItem[] = [{ value: data, seg: '', parent: undefined, depth: 0, place: ROOT[kind] }];
  while (stack.length && !found.full) {
    const item = stack.pop()!;
    const pointer = (): string => pointerOf(item, prefix);
    if (kind === 'plan' && !found.value(pointer, () => where(pointer()))) break;
    const v = item.value;
    if (typeof v === 'string') {
      if (item.place && v.length > item.place.rule.chars) found.add('plan.string_too_long', pointer(), tooLong(v.length, item.place.rule.chars), where(pointer()));
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (item.depth >= MAX_DEPTH) {
      found.add('plan.too_deep', pointer(), tooDeep(), where(pointer()));
      break;
    }
    const keys: Array<string | number> = Array.isArray(v) ? Array.from({ length: v.length }, (_, i) => i) : Object.keys(v);
    let take = keys.length;
    if (item.place && keys.length > item.place.rule.items) {
      found.add('plan.too_many', pointer(), tooMany(keys.length, item.place.rule.items, false), where(pointer()));
      take = item.place.rule.items;
    }
    if (item.place?.rule.total) found.total(item.place.rule, take, pointer, () => where(pointer()));
    const children: ValueItem[] = [];
    for (let i = 0; i < take; i++) {
      const seg = keys[i]!;
      if (typeof seg === 'string' && seg.length > MAX_KEY) {
        found.add('plan.string_too_long', pointer(), tooLong(seg.length, MAX_KEY, 'key'), where(pointer()));
        continue;
      }
      const value: unknown = (v as Record<string | number, unknown>)[seg];
      children.push({ value, seg, parent: item, depth: item.depth + 1, place: item.place ? childPlace(item.place, seg) : undefined });
    }
    // Pushed in reverse so entries come in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return found.entries;
}

/**
 * The first place YAML text nests deeper than the bound, from its concrete syntax tree (yaml's parser keeps its own
 * stack; its composer recurses, so this runs first), with the offset of the first alias for an alias-bomb report.
 */
export function scanYamlDepth(text: string): { entry?: ReportEntry; firstAlias?: { line: number; column: number } } {
  const at = positions(text);
  interface Item {
    readonly token: CST.Token;
    readonly seg: string | number;
    readonly parent: Item | undefined;
    readonly depth: number;
  }
  const ptr = (item: Item): string => {
    const segs: Array<string | number> = [];
    for (let i: Item | undefined = item; i?.parent; i = i.parent) segs.push(i.seg);
    return toPointer(segs.reverse());
  };
  const keyText = (key: CST.Token | null | undefined): string => {
    if (!key) return '';
    const scalar = CST.isScalar(key) ? CST.resolveAsScalar(key) : null;
    return scalar ? scalar.value : '?';
  };
  let firstAlias: { line: number; column: number } | undefined;
  const stack: Item[] = [];
  for (const token of new Parser().parse(text)) if (token.type === 'document' && token.value) stack.push({ token: token.value, seg: '', parent: undefined, depth: 0 });
  while (stack.length) {
    const item = stack.pop()!;
    const t = item.token;
    if (t.type === 'alias') {
      firstAlias ??= at(t.offset);
      continue;
    }
    if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
    if (item.depth >= MAX_DEPTH) return { entry: { severity: 'error', code: 'plan.too_deep', pointer: ptr(item), message: tooDeep(), ...at(t.offset) }, ...(firstAlias ? { firstAlias } : {}) };
    const isMap = t.type === 'block-map' || (t.type === 'flow-collection' && t.start.source === '{');
    // Pushed in reverse, so the first alias found is the first in the text.
    for (let i = t.items.length - 1; i >= 0; i--) {
      const entry = t.items[i]!;
      const key = (entry as { key?: CST.Token | null }).key;
      if (entry.value) stack.push({ token: entry.value, seg: isMap ? keyText(key) : i, parent: item, depth: item.depth + 1 });
      if (key) stack.push({ token: key, seg: '?', parent: item, depth: item.depth + 1 });
    }
  }
  return firstAlias ? { firstAlias } : {};
}
