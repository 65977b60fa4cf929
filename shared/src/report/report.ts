import { CODES, type Code, type Severity } from './codes';

export interface ReportEntry {
  readonly severity: Severity;
  readonly code: Code;
  /** RFC 6901 JSON Pointer into the plan ("" is the whole document). */
  readonly pointer: string;
  /** 1-based, when the plan was given as text. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface Report {
  readonly valid: boolean;
  readonly entries: readonly ReportEntry[];
}

export type Path = ReadonlyArray<string | number>;

export function toPointer(path: Path): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Characters of a message kept in a report: messages quote the input, and the input may be megabytes. */
export const MESSAGE_CHARS = 240;

/** `text` cut to `max` characters, saying how much was left out (input echoed into a message stays short). */
export function clip(text: string, max = MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${(text.length - max).toLocaleString('en')} more characters left out)`;
}

/** Collects entries; rules push into it and never throw. */
export class ReportBuilder {
  private readonly list: ReportEntry[] = [];

  add(code: Code, path: Path | string, message: string, severity: Severity = CODES[code].severity): void {
    const pointer = typeof path === 'string' ? path : toPointer(path);
    this.list.push({ severity, code, pointer, message: clip(message) });
  }

  addEntry(entry: ReportEntry): void {
    this.list.push({ ...entry, message: clip(entry.message) });
  }

  get hasErrors(): boolean {
    return this.list.some((e) => e.severity === 'error');
  }

  get entries(): readonly ReportEntry[] {
    return this.list;
  }

  build(locate?: (pointer: string) => { line: number; column: number } | undefined): Report {
    const seen = new Set<string>();
    const entries: ReportEntry[] = [];
    for (const e of this.list) {
      const key = `${e.code}\u0000${e.pointer}\u0000${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pos = locate?.(e.pointer);
      entries.push(pos ? { ...e, line: pos.line, column: pos.column } : e);
    }
    entries.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return { valid: !entries.some((e) => e.severity === 'error'), entries };
  }
}

/** One line per entry: `error plan.json:12:7 /disks/0/size size.invalid: "12 GiBs" is not a size`. */
export function formatEntry(e: ReportEntry, source = '<plan>'): string {
  const where = e.line !== undefined ? `${source}:${e.line}:${e.column ?? 1}` : source;
  return `${e.severity} ${where} ${e.pointer || '/'} ${e.code}: ${e.message}`;
}
