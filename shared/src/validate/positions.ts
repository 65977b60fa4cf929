/*
 * Offsets in a plan's text as 1-based lines and columns, for the parser's entries (source.ts) and the bounds
 * scan (bounds.ts).
 */

/** Offsets of line starts, to turn an offset into a 1-based line and column. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** 1-based line and column of an offset, the line starts computed only when an entry needs one. */
export function positions(text: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => position((starts ??= lineStarts(text)), offset);
}
