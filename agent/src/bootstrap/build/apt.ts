import { formatRepo, type BuildOptionsT, type Repo } from './options';

/** Debian's own repositories for a release, as deb.debian.org serves them (the main archive, updates, security). */
export function defaultRepos(release: string): Repo[] {
  return [
    { type: 'deb', uri: 'http://deb.debian.org/debian', suite: release, components: ['main'] },
    { type: 'deb', uri: 'http://deb.debian.org/debian', suite: `${release}-updates`, components: ['main'] },
    { type: 'deb', uri: 'http://deb.debian.org/debian-security', suite: `${release}-security`, components: ['main'] },
  ];
}

/**
 * The repositories the image is built from. `--repo` adds to Debian's defaults; a `--repo` for the release's
 * own suite (`deb http://mirror.example/debian bookworm main`) means "this mirror instead", and then the
 * given list is the whole list (add `-updates`/`-security` lines for the mirror too).
 */
export function effectiveRepos(o: Pick<BuildOptionsT, 'repos' | 'release'>): Repo[] {
  const replaces = o.repos.some((r) => r.suite === o.release);
  return replaces ? [...o.repos] : [...defaultRepos(o.release), ...o.repos];
}

/** The `deb …` lines mmdebstrap is given (and that the image's /etc/apt/sources.list keeps). */
export function sourcesLines(repos: readonly Repo[]): string[] {
  return repos.map(formatRepo);
}

function host(uri: string): string | undefined {
  try {
    return new URL(uri).hostname;
  } catch {
    return undefined;
  }
}

/**
 * apt preferences for the repositories given a priority (fuel-bootstrap's `,priority=N`): one stanza each,
 * pinned by the repository's host where no other repository shares it, else by its suite (the Release file's
 * codename). Above 1000 apt installs that repository's version even when it is older (a downgrade, e.g. a
 * kernel pinned back after a regression).
 */
export function aptPreferences(repos: readonly Repo[]): string {
  const hosts = new Map<string, number>();
  for (const r of repos) {
    const h = host(r.uri);
    if (h) hosts.set(h, (hosts.get(h) ?? 0) + 1);
  }
  const stanzas = repos
    .filter((r) => r.priority !== undefined)
    .map((r) => {
      const h = host(r.uri);
      const pin = h && hosts.get(h) === 1 ? `origin "${h}"` : `release n=${r.suite.replace(/\/$/, '')}`;
      return `Explanation: anvil bootstrap build --repo '${formatRepo(r)},priority=${r.priority}'\nPackage: *\nPin: ${pin}\nPin-Priority: ${r.priority}\n`;
    });
  return stanzas.join('\n');
}

/** Whether a repository's host is one to reach without the proxy (--direct-repo-addr: a host name or an address). */
export function isDirect(uri: string, direct: readonly string[]): boolean {
  const h = host(uri);
  return h !== undefined && direct.some((d) => d === h || d === `[${h}]` || h.endsWith(`.${d.replace(/^\./, '')}`));
}

/** apt options (mmdebstrap --aptopt) for the proxies and the hosts reached directly. Not left in the image. */
export function proxyAptOptions(o: Pick<BuildOptionsT, 'httpProxy' | 'httpsProxy' | 'directRepoAddrs'>): string[] {
  const out: string[] = [];
  if (o.httpProxy) out.push(`Acquire::http::Proxy "${o.httpProxy}";`);
  if (o.httpsProxy) out.push(`Acquire::https::Proxy "${o.httpsProxy}";`);
  for (const d of o.directRepoAddrs) {
    if (o.httpProxy) out.push(`Acquire::http::Proxy::${d} "DIRECT";`);
    if (o.httpsProxy) out.push(`Acquire::https::Proxy::${d} "DIRECT";`);
  }
  return out;
}

/** The proxy a repository is fetched through, or undefined when direct. */
export function proxyFor(uri: string, o: Pick<BuildOptionsT, 'httpProxy' | 'httpsProxy' | 'directRepoAddrs'>): string | undefined {
  if (isDirect(uri, o.directRepoAddrs)) return undefined;
  if (uri.startsWith('https://')) return o.httpsProxy;
  if (uri.startsWith('http://')) return o.httpProxy;
  return undefined;
}
