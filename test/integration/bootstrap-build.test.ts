import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
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
 * log. The proxy is a closed loopback port, so nothing leaves the machine. A real build whose `--script` fails
 * (after mmdebstrap installed every package from the Debian mirror) leaves nothing in the output directory but its
 * log and does not change the store's active image. (The full build runs before the e2e suite.)
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

  asRoot(
    'a --script that fails inside a real build: bootstrap.script_failed with its output, nothing but the log left, the active image untouched',
    async () => {
      // A store with an active image (hand-made, as the spec allows) that the failed --activate build must not replace.
      const store = join(out, 'store');
      const active = randomUUID();
      const src = join(out, 'hand');
      mkdirSync(src);
      writeFileSync(join(src, 'metadata.yaml'), `uuid: ${active}\ndistro: debian\nlabel: in-service\nextend_kopts: ""\n`);
      writeFileSync(join(src, 'linux'), 'kernel');
      writeFileSync(join(src, 'initramfs.img'), 'initramfs');
      execFileSync('tar', ['-czf', join(out, 'hand.tar.gz'), '-C', src, '.']);
      const io = { out: [] as string[], err: [] as string[] };
      const cli = (...args: string[]): Promise<number> => main(['node', 'anvil', 'bootstrap', ...args], { out: (t) => void io.out.push(t), err: (t) => void io.err.push(t) });
      expect(await cli('import', join(out, 'hand.tar.gz'), '--activate', '--store', store)).toBe(0);
      const linkBefore = readlinkSync(join(store, 'active'));

      const script = join(out, 'fails.sh');
      writeFileSync(script, '#!/bin/sh\necho "checking for the vendor RAID tool"\ntest -x /opt/vendor/raidcli || { echo "raidcli is missing" >&2; exit 3; }\n');
      const output = join(out, 'build-out');
      io.err.length = 0;
      const code = await cli('build', '--script', script, '--activate', '--store', store, '--output-dir', output, '--label', 'with-vendor-tool');
      expect(code).toBe(1);
      const err = io.err.join('\n');
      expect(err).toContain('[bootstrap.script_failed]');
      expect(err).toContain('raidcli is missing');
      const left = readdirSync(output);
      expect(left).toEqual([expect.stringMatching(/^anvil-bootstrap-[0-9a-f-]{36}\.log$/)]);
      expect(err).toContain(join(output, left[0]!));
      expect(readlinkSync(join(store, 'active'))).toBe(linkBefore);
      io.out.length = 0;
      expect(await cli('list', '--json', '--store', store)).toBe(0);
      expect((JSON.parse(io.out.join('')) as { bootstraps: Array<{ uuid: string; status: string }> }).bootstraps.map((i) => [i.uuid, i.status])).toEqual([[active, 'active']]);
    },
    900_000,
  );
});
