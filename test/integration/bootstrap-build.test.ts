import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@anvil/shared';
import pino from 'pino';
import { buildBootstrap } from '../../agent/src/bootstrap/build/build';
import { resolveBuildOptions } from '../../agent/src/bootstrap/build/options';
import { SystemRunner } from '../../agent/src/system/runner';
import { main } from '../../agent/src/cli/main';

/**
 * `anvil bootstrap build`'s fast failures, with the real probe (curl): a repository that cannot be reached
 * fails in seconds, naming the repository and the proxy (credentials masked), and leaves no output but the
 * log. The proxy is a closed loopback port, so nothing leaves the machine. (The full build runs in the e2e suite.)
 */
const out = mkdtempSync(join(tmpdir(), 'anvil-bs-fail-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0 ? it : it.skip;

describe('anvil bootstrap build: failing early', () => {
  asRoot('an unreachable repository through a proxy fails in seconds, naming both; nothing but the log is left', async () => {
    const o = resolveBuildOptions({ outputDir: out, httpProxy: 'http://builder:s3cret@127.0.0.1:9' }, {});
    const t0 = Date.now();
    const err = await buildBootstrap(o, { runner: new SystemRunner(createLogger({ level: 'silent', destination: pino.destination(2) })), progress: { write: () => undefined } }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect((Date.now() - t0) / 1000).toBeLessThan(20);
    expect(err?.code).toBe('bootstrap.repo_unreachable');
    expect(err?.message).toMatch(/the repository 'deb http:\/\/deb\.debian\.org\/debian(-security)? bookworm\S* main' is not accessible through the proxy http:\/\/\*\*\*@127\.0\.0\.1:9/);
    expect(err?.message).not.toContain('s3cret');
    const left = readdirSync(out);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^anvil-bootstrap-[0-9a-f-]{36}\.log$/);
    expect(readFileSync(join(out, left[0]!), 'utf8')).not.toContain('s3cret');
  });

  it('the CLI refuses a bad option value with exit 1 and the code', async () => {
    const errs: string[] = [];
    const code = await main(['node', 'anvil', 'bootstrap', 'build', '--format', 'iso'], { out: () => undefined, err: (t) => void errs.push(t) });
    expect(code).toBe(1);
    expect(errs.join('\n')).toMatch(/--format: .*\[bootstrap\.bad_option\]/);
  });
});
