import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';

/**
 * The options of `anvil bootstrap build`, with fuel-bootstrap's meanings: from flags, from a YAML
 * --config-file holding any of them (flags win), and from HTTP_PROXY/HTTPS_PROXY. Validated with zod.
 */
export const FORMATS = ['initramfs', 'live'] as const;
export const KERNEL_FLAVORS = ['amd64', 'cloud-amd64', 'rt-amd64'] as const;

/** One `deb [signed-by=KEYRING] URI SUITE COMPONENTS[,priority=N]` line (fuel-bootstrap's `--repo`). */
export interface Repo {
  readonly type: 'deb';
  readonly uri: string;
  readonly suite: string;
  readonly components: readonly string[];
  readonly priority?: number;
  /** The keyring (an absolute path on the build host) the repository is signed with, as sources.list's `signed-by`. */
  readonly signedBy?: string;
}

/** `[signed-by=/path]`, the one sources.list option a bootstrap repository may carry. */
function parseRepoOptions(text: string, block: string): { signedBy?: string } {
  const out: { signedBy?: string } = {};
  for (const opt of block.split(/\s+/).filter(Boolean)) {
    const [k, v] = opt.split('=', 2);
    if (k !== 'signed-by' || !v) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': the option '${opt}' is not supported (only [signed-by=/path/to/keyring])`);
    if (!v.startsWith('/')) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': signed-by takes an absolute path to a keyring file`);
    out.signedBy = v;
  }
  return out;
}

/** Parses `deb [signed-by=/k.gpg] http://host/path suite comp1 comp2[,priority=1001]` (the `deb` may be left out). */
export function parseRepo(text: string): Repo {
  const s = text.trim();
  const m = /^(.*?)(?:,\s*priority\s*=\s*(-?\d+))?\s*$/.exec(s)!;
  let rest = m[1]!.trim();
  let options: { signedBy?: string } = {};
  if (/^deb-src\b/.test(rest)) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': deb-src repositories carry no packages to install`);
  rest = rest.replace(/^deb\s+/, '');
  const bracket = /^\[([^\]]*)\]\s*/.exec(rest);
  if (bracket) {
    options = parseRepoOptions(text, bracket[1]!);
    rest = rest.slice(bracket[0].length);
  }
  const words = rest.split(/\s+/).filter(Boolean);
  const [uri, suite, ...components] = words;
  if (!uri || !/^(https?|file):\/\//.test(uri)) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': expected 'deb URI SUITE [COMPONENTS...][,priority=N]' with an http(s):// or file:// URI`);
  if (!suite) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': no suite (e.g. bookworm)`);
  // A suite ending in `/` is a flat repository: no components.
  if (!suite.endsWith('/') && components.length === 0) throw new AnvilError('bootstrap.bad_option', `--repo '${text}': no components (e.g. main)`);
  return { type: 'deb', uri: uri.replace(/\/+$/, ''), suite, components, ...(m[2] !== undefined ? { priority: Number(m[2]) } : {}), ...options };
}

export function formatRepo(r: Repo): string {
  return [r.type, ...(r.signedBy ? [`[signed-by=${r.signedBy}]`] : []), r.uri, r.suite, ...r.components].join(' ');
}

const RepoInput = z.union([z.string().transform((s, ctx) => {
  try {
    return parseRepo(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
}), z.strictObject({ uri: z.string(), suite: z.string(), components: z.array(z.string()).default([]), priority: z.number().int().optional(), signed_by: z.string().startsWith('/', 'an absolute path to a keyring file').optional() }).transform((r): Repo => ({ type: 'deb', uri: r.uri.replace(/\/+$/, ''), suite: r.suite, components: r.components, ...(r.priority !== undefined ? { priority: r.priority } : {}), ...(r.signed_by !== undefined ? { signedBy: r.signed_by } : {}) }))]);

const ProxyUrl = z.url({ protocol: /^https?$/ });
const Label = z.string().min(1).max(100).regex(/^[^\n/]+$/, 'one line, no slash');
const list = <T extends z.ZodType>(t: T) => z.union([t, z.array(t)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/** The keys of a --config-file: the long option names, with `-` or `_`. */
export const BuildConfigFile = z.strictObject({
  repo: list(RepoInput).optional(),
  http_proxy: ProxyUrl.optional(),
  https_proxy: ProxyUrl.optional(),
  direct_repo_addr: list(z.string().min(1)).optional(),
  package: list(z.string().regex(/^[a-z0-9][a-z0-9+.-]*(=[^\s]+)?$/, 'a Debian package name (optionally =version)')).optional(),
  script: z.string().min(1).optional(),
  inject_files_from: z.string().min(1).optional(),
  extend_kopts: z.string().optional(),
  kernel_flavor: z.enum(KERNEL_FLAVORS).optional(),
  release: z.string().regex(/^[a-z]+$/).optional(),
  ssh_keys: z.string().min(1).optional(),
  ca_cert: list(z.string().min(1)).optional(),
  label: Label.optional(),
  output_dir: z.string().min(1).optional(),
  format: z.enum(FORMATS).optional(),
  activate: z.boolean().optional(),
});
export type BuildConfigFileT = z.output<typeof BuildConfigFile>;

export const BuildOptions = z.strictObject({
  repos: z.array(z.custom<Repo>()),
  httpProxy: ProxyUrl.optional(),
  httpsProxy: ProxyUrl.optional(),
  directRepoAddrs: z.array(z.string()),
  packages: z.array(z.string()),
  script: z.string().optional(),
  injectFilesFrom: z.string().optional(),
  extendKopts: z.string(),
  kernelFlavor: z.enum(KERNEL_FLAVORS),
  release: z.string(),
  sshKeys: z.string().optional(),
  caCerts: z.array(z.string()),
  label: Label.optional(),
  outputDir: z.string(),
  format: z.enum(FORMATS),
  activate: z.boolean(),
});
export type BuildOptionsT = z.infer<typeof BuildOptions>;

/** Defaults. The generic kernel: the cloud one lacks the physical servers' storage and NIC drivers (see docs/bootstrap-build.md). */
export const DEFAULTS = { kernelFlavor: 'amd64', release: 'bookworm', outputDir: '/tmp', format: 'initramfs' } as const;

/** What commander hands over (repeatable options as arrays). */
export interface BuildFlags {
  readonly repo?: readonly string[];
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly directRepoAddr?: readonly string[];
  readonly package?: readonly string[];
  readonly script?: string;
  readonly injectFilesFrom?: string;
  readonly extendKopts?: string;
  readonly kernelFlavor?: string;
  readonly release?: string;
  readonly sshKeys?: string;
  readonly caCert?: readonly string[];
  readonly label?: string;
  readonly configFile?: string;
  readonly outputDir?: string;
  readonly format?: string;
  readonly activate?: boolean;
}

function issues(e: z.ZodError, where: string): string {
  return e.issues.map((i) => `${where}${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/** Parses a --config-file's text (YAML; keys with `-` or `_`). */
export function parseConfigFile(text: string, name = 'config file'): BuildConfigFileT {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AnvilError('bootstrap.bad_option', `${name}: not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AnvilError('bootstrap.bad_option', `${name}: expected a mapping of option names to values`);
  const norm = Object.fromEntries(Object.entries(doc as Record<string, unknown>).map(([k, v]) => [k.replace(/-/g, '_'), v]));
  // fuel-bootstrap's own name for the file's kernel options and packages
  const r = BuildConfigFile.safeParse(norm);
  if (!r.success) throw new AnvilError('bootstrap.bad_option', `${name}: ${issues(r.error, '')}`);
  return r.data;
}

/**
 * The build's options: flags over the config file over the environment (HTTP_PROXY/HTTPS_PROXY, either case)
 * over the defaults. Repeatable options given both as flags and in the file: the flags' replace the file's.
 */
export function resolveBuildOptions(flags: BuildFlags, env: NodeJS.ProcessEnv = process.env, readText: (p: string) => string = (p) => readFileSync(p, 'utf8')): BuildOptionsT {
  let file: BuildConfigFileT = {};
  if (flags.configFile) {
    let text: string;
    try {
      text = readText(flags.configFile);
    } catch (err) {
      throw new AnvilError('bootstrap.bad_option', `--config-file ${flags.configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    file = parseConfigFile(text, flags.configFile);
  }
  const arr = <T>(v: readonly T[] | undefined): T[] | undefined => (v && v.length ? [...v] : undefined);
  const candidate = {
    repos: arr(flags.repo)?.map(parseRepo) ?? file.repo ?? [],
    httpProxy: flags.httpProxy ?? file.http_proxy ?? env.HTTP_PROXY ?? env.http_proxy,
    httpsProxy: flags.httpsProxy ?? file.https_proxy ?? env.HTTPS_PROXY ?? env.https_proxy,
    directRepoAddrs: arr(flags.directRepoAddr) ?? file.direct_repo_addr ?? [],
    packages: arr(flags.package) ?? file.package ?? [],
    script: flags.script ?? file.script,
    injectFilesFrom: flags.injectFilesFrom ?? file.inject_files_from,
    extendKopts: flags.extendKopts ?? file.extend_kopts ?? '',
    kernelFlavor: flags.kernelFlavor ?? file.kernel_flavor ?? DEFAULTS.kernelFlavor,
    release: flags.release ?? file.release ?? DEFAULTS.release,
    sshKeys: flags.sshKeys ?? file.ssh_keys,
    caCerts: arr(flags.caCert) ?? file.ca_cert ?? [],
    label: flags.label ?? file.label,
    outputDir: flags.outputDir ?? file.output_dir ?? DEFAULTS.outputDir,
    format: flags.format ?? file.format ?? DEFAULTS.format,
    activate: flags.activate ?? file.activate ?? false,
  };
  const clean = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined && v !== ''));
  if (!('extendKopts' in clean)) clean.extendKopts = '';
  const r = BuildOptions.safeParse(clean);
  if (!r.success) throw new AnvilError('bootstrap.bad_option', issues(r.error, '--'));
  for (const p of r.data.packages) if (!/^[a-z0-9][a-z0-9+.-]*(=[^\s]+)?$/.test(p)) throw new AnvilError('bootstrap.bad_option', `--package ${p}: not a Debian package name`);
  return r.data;
}

/** A proxy URL without its credentials, for logs, messages and metadata.yaml. */
export function redactProxy(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return '***';
  }
}
