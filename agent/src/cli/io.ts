import { open } from 'node:fs/promises';
import { AnvilError, formatEntry, parseSource, PLAN_LIMITS } from '@anvil/shared';

/**
 * Bytes read from a file or standard input at most: the plan's text bound in characters, each at most 3 bytes of
 * UTF-8 (shared/src/plan/limits.ts). Beyond it nothing more is read (a 10 GB file, or /dev/zero, is not slurped).
 */
export const MAX_INPUT_BYTES = 3 * PLAN_LIMITS.textChars;

function tooLarge(path: string, max: number): AnvilError {
  return new AnvilError('cli.input_too_large', `${sourceName(path)} is larger than ${max.toLocaleString('en')} bytes; the rest was not read (a plan is at most ${PLAN_LIMITS.textChars.toLocaleString('en')} characters)`);
}

/** Reads a file, or standard input for "-", up to `max` bytes (cli.input_too_large beyond). */
export async function readInput(path: string, max = MAX_INPUT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  if (path === '-') {
    for await (const chunk of process.stdin) {
      bytes += (chunk as Buffer).length;
      if (bytes > max) throw tooLarge(path, max);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new AnvilError('cli.read_failed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    // Read as a stream (not by stat's size: a device or a pipe has none), stopping one byte past the bound.
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      if (bytes > max) throw tooLarge(path, max);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
  } catch (err) {
    if (err instanceof AnvilError) throw err;
    throw new AnvilError('cli.read_failed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  } finally {
    await file.close();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads JSON or YAML data (inventories, foreign formats) with the plan parser: nesting beyond the bound, a YAML
 * alias bomb or binary data is refused before it becomes data, and the error names the file, the place and the code.
 */
export async function readData(path: string): Promise<unknown> {
  const text = await readInput(path);
  const doc = parseSource(text);
  const first = doc.errors.find((e) => e.severity === 'error');
  if (first) {
    const more = doc.errors.length - 1;
    throw new AnvilError('cli.parse_failed', `${formatEntry(first, sourceName(path))}${more > 0 ? ` (and ${more} more)` : ''}`);
  }
  return doc.data;
}

export function sourceName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

/** JSON with bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
