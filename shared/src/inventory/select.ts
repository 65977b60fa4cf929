import picomatch from 'picomatch';
import type { DiskSelectorT } from '../plan/v1/disk';
import { GiB, parseBytes } from '../size/units';
import type { InventoryDiskT } from './schema';

/**
 * Root-device-hint matching, with Ironic's semantics: every given hint must match. Strings match exactly
 * unless an operator is given (`s==`, `s!=`, `<in>`, `<or>`); `size` is GiB when it is an integer, or
 * "<op> <size>" with units. `name` and `by_path` accept globs.
 */
type Cmp = '==' | '!=' | '>=' | '>' | '<=' | '<';

export interface SizeHint {
  readonly op: Cmp;
  readonly bytes: bigint;
}

const SIZE_HINT_RE = /^\s*(==|!=|>=|<=|>|<)?\s*(.+?)\s*$/;

export function parseSizeHint(hint: number | string): SizeHint | undefined {
  if (typeof hint === 'number') return Number.isSafeInteger(hint) && hint >= 0 ? { op: '==', bytes: BigInt(hint) * GiB } : undefined;
  const m = SIZE_HINT_RE.exec(hint);
  if (!m) return undefined;
  const text = m[2]!;
  const bytes = /^\d+$/.test(text) ? BigInt(text) * GiB : parseBytes(text);
  if (bytes === undefined) return undefined;
  return { op: (m[1] as Cmp | undefined) ?? '==', bytes };
}

/** The smallest size a disk matching this hint can have, if the hint bounds it from below. */
export function minimumSize(hint: SizeHint | undefined): bigint | undefined {
  if (!hint) return undefined;
  if (hint.op === '==' || hint.op === '>=') return hint.bytes;
  if (hint.op === '>') return hint.bytes + 1n;
  return undefined;
}

function compareSize(actual: bigint, hint: SizeHint): boolean {
  switch (hint.op) {
    case '==':
      return actual === hint.bytes;
    case '!=':
      return actual !== hint.bytes;
    case '>=':
      return actual >= hint.bytes;
    case '>':
      return actual > hint.bytes;
    case '<=':
      return actual <= hint.bytes;
    case '<':
      return actual < hint.bytes;
  }
}

function stripDev(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** Matches one string hint against candidate values (a disk can have several by-path/by-id links). */
export function matchStringHint(hint: string, candidates: readonly string[], glob: boolean): boolean {
  const h = hint.trim();
  if (h.startsWith('<or>') || h.includes(' <or> ')) {
    return h
      .split('<or>')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .some((alt) => matchStringHint(alt, candidates, glob));
  }
  if (h.startsWith('<in>')) {
    const needle = h.slice(4).trim().toLowerCase();
    return candidates.some((c) => c.toLowerCase().includes(needle));
  }
  if (h.startsWith('s!=')) {
    const v = h.slice(3).trim();
    return candidates.every((c) => c !== v);
  }
  const v = h.startsWith('s==') ? h.slice(3).trim() : h;
  if (glob && /[*?[]/.test(v)) {
    const isMatch = picomatch(v);
    return candidates.some((c) => isMatch(c));
  }
  return candidates.some((c) => c === v);
}

/** Whether a disk satisfies every hint of the selector. */
export function diskMatches(sel: DiskSelectorT, disk: InventoryDiskT): boolean {
  const name = stripDev(disk.name, '/dev/');
  if (sel.name !== undefined) {
    const hint = sel.name.replace(/^(s==\s*|s!=\s*|<in>\s*)?\/dev\//, (_m, op: string | undefined) => op ?? '');
    if (!matchStringHint(hint, [name], true)) return false;
  }
  const links = (values: readonly string[] | undefined, prefix: string): string[] =>
    (values ?? []).map((v) => stripDev(v, prefix));
  if (sel.by_path !== undefined) {
    const hint = sel.by_path.replace('/dev/disk/by-path/', '');
    if (!matchStringHint(hint, links(disk.by_path, '/dev/disk/by-path/'), true)) return false;
  }
  if (sel.by_id !== undefined) {
    const hint = sel.by_id.replace('/dev/disk/by-id/', '');
    if (!matchStringHint(hint, links(disk.by_id, '/dev/disk/by-id/'), true)) return false;
  }
  const plain: ReadonlyArray<[string | undefined, string | null | undefined]> = [
    [sel.serial, disk.serial],
    [sel.wwn, disk.wwn],
    [sel.wwn_with_extension, disk.wwn_with_extension],
    [sel.wwn_vendor_extension, disk.wwn_vendor_extension],
    [sel.vendor, disk.vendor],
    [sel.model, disk.model],
    [sel.hctl, disk.hctl],
  ];
  for (const [hint, value] of plain) {
    if (hint === undefined) continue;
    if (value === undefined || value === null) return false;
    if (!matchStringHint(hint, [value.trim()], false)) return false;
  }
  if (sel.size !== undefined) {
    const hint = parseSizeHint(sel.size);
    if (!hint || !compareSize(BigInt(disk.size), hint)) return false;
  }
  if (sel.rotational !== undefined && disk.rotational !== sel.rotational) return false;
  return true;
}
