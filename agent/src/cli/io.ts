import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { AnvilError } from '@anvil/shared';

/** Reads a file, or standard input for "-". */
export async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new AnvilError('cli.read_failed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Reads JSON or YAML data (inventories, foreign formats). */
export async function readData(path: string): Promise<unknown> {
  const text = await readInput(path);
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw new AnvilError('cli.parse_failed', `${path} is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function sourceName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

/** JSON with bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
