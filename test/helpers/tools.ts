import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Full path of a system tool, or a clear failure telling how to get it. */
export function tool(name: string): string {
  for (const dir of SBIN) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  throw new Error(`${name} is not installed; run \`npm run setup\` (as root) to install the test tools`);
}

export function run(argv: readonly string[], stdin?: string): string {
  const [cmd, ...args] = argv;
  return execFileSync(tool(cmd!), args, { encoding: 'utf8', input: stdin, stdio: ['pipe', 'pipe', 'pipe'] });
}
