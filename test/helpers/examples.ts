import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXAMPLES_DIR = join(__dirname, '../../docs/examples');

export interface Example {
  readonly name: string;
  readonly planText: string;
  readonly inventory: unknown;
}

/** The documented examples: docs/examples/NAME.plan.json with NAME.inventory.json. */
export function examples(): Example[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.plan.json'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.plan\.json$/, '');
      return {
        name,
        planText: readFileSync(join(EXAMPLES_DIR, f), 'utf8'),
        inventory: JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.inventory.json`), 'utf8')) as unknown,
      };
    });
}
