import { existsSync } from 'node:fs';
import { AnvilError } from '@anvil/shared';
import type { Runner } from '../../system/runner';
import { proxyFor } from './apt';
import { formatRepo, redactProxy, type BuildOptionsT, type Repo } from './options';

/** The Release files a repository answers with: InRelease first (signed), Release for the older ones. */
export function releaseUrls(r: Repo): string[] {
  const base = r.suite.endsWith('/') ? `${r.uri}/${r.suite}` : `${r.uri}/dists/${r.suite}/`;
  return [`${base}InRelease`, `${base}Release`];
}

/**
 * Checks, before mmdebstrap starts, that every repository answers for its Release file within a few seconds,
 * through the proxy apt will use (curl, so the proxy, its credentials and --direct-repo-addr behave as apt's).
 * Fails with the repository and the proxy named: an unreachable mirror fails in seconds, not after a long build.
 */
export async function probeRepos(runner: Runner, repos: readonly Repo[], o: Pick<BuildOptionsT, 'httpProxy' | 'httpsProxy' | 'directRepoAddrs'>, timeoutS = 10): Promise<void> {
  for (const r of repos) if (r.signedBy && !existsSync(r.signedBy)) throw new AnvilError('bootstrap.bad_option', `the keyring ${r.signedBy} of the repository '${formatRepo(r)}' (signed-by) does not exist on this build host`, { repo: formatRepo(r) });
  await Promise.all(
    repos.map(async (r) => {
      if (r.uri.startsWith('file://')) return;
      const proxy = proxyFor(r.uri, o);
      let last = '';
      for (const url of releaseUrls(r)) {
        // the proxy through the environment, not argv: its credentials stay out of the command log
        const env = proxy ? { http_proxy: proxy, https_proxy: proxy, HTTPS_PROXY: proxy, NO_PROXY: '', no_proxy: '' } : { NO_PROXY: '*', no_proxy: '*' };
        const res = await runner.run(['curl', '--silent', '--show-error', '--fail', '--location', '--max-time', String(timeoutS), '--connect-timeout', String(Math.min(5, timeoutS)), '--range', '0-0', '--output', '/dev/null', url], { allowFail: true, timeoutMs: (timeoutS + 2) * 1000, env });
        if (!res.failed) return;
        last = (res.stderr || `exit ${res.exitCode}`).trim().split('\n').at(-1) ?? '';
      }
      const via = proxy ? `through the proxy ${redactProxy(proxy)}` : 'directly (no proxy)';
      throw new AnvilError('bootstrap.repo_unreachable', `the repository '${formatRepo(r)}' is not accessible ${via}: ${last}. Check the repository URL and suite, the network and the proxy settings (--http-proxy/--https-proxy, --direct-repo-addr), then build again`, { repo: formatRepo(r), proxy: redactProxy(proxy) });
    }),
  );
}
