import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const SOURCE = join(__dirname, '../../contrib/ironic');
const CACHE = '/var/tmp/anvil-ironic-plugin';

/** Every file of the package that goes into the install (not its tests, not Python's caches). */
function packageFiles(dir = SOURCE): string[] {
  return readdirSync(dir)
    .filter((n) => n !== 'tests' && n !== '__pycache__' && n !== 'build' && !n.endsWith('.egg-info'))
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? packageFiles(p) : [p];
    })
    .sort();
}

/**
 * The conductor plugin (contrib/ironic) installed the way docs/ironic.md tells operators to, with Debian's pip
 * (`--no-deps`), into a folder for the conductor's PYTHONPATH; built once per content under /var/tmp. The source
 * is copied first, so setuptools leaves no build output in the checkout.
 */
export function conductorPlugin(): string {
  const h = createHash('sha256');
  for (const f of packageFiles()) h.update(relative(SOURCE, f)).update('\0').update(readFileSync(f)).update('\0');
  const dir = join(CACHE, h.digest('hex').slice(0, 16));
  if (existsSync(join(dir, 'anvil_ironic', 'deploy.py'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const src = mkdtempSync(join(tmpdir(), 'anvil-ironic-src-'));
  const target = `${dir}.${process.pid}.tmp`;
  try {
    cpSync(SOURCE, src, { recursive: true, filter: (p) => !/(__pycache__|\/build|\.egg-info)$/.test(p) });
    execFileSync('/usr/bin/python3', ['-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', '--target', target, src], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } });
    rmSync(dir, { recursive: true, force: true });
    renameSync(target, dir);
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  }
  return dir;
}
