import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';
import type { KeystoneAuthT } from '@anvil/shared/openstack';

/*
 * Keystone for the `anvil` command, as OpenStack's own clients find it: a cloud of clouds.yaml named by
 * `--os-cloud` or `OS_CLOUD` (with its secure.yaml), else the `OS_*` variables. Written here rather than taken
 * from a library: npm has no maintained reader of clouds.yaml; the rules followed are openstacksdk's
 * documented ones (file search order, secure.yaml merged over clouds.yaml, auth types by name).
 */

const Auth = z.looseObject({
  auth_url: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  user_domain_name: z.string().optional(),
  project_name: z.string().optional(),
  project_id: z.string().optional(),
  project_domain_name: z.string().optional(),
  application_credential_id: z.string().optional(),
  application_credential_secret: z.string().optional(),
  token: z.string().optional(),
});
const Cloud = z.looseObject({
  auth_type: z.string().optional(),
  auth: Auth.default({}),
  region_name: z.string().optional(),
  interface: z.string().optional(),
  cacert: z.string().optional(),
});
const CloudsFile = z.looseObject({ clouds: z.record(z.string(), Cloud).default({}) });
type CloudT = z.infer<typeof Cloud>;

export interface CloudAuth {
  /** Where the credentials came from, for messages: `cloud NAME (FILE)` or `the OS_* variables`. */
  readonly source: string;
  readonly auth: KeystoneAuthT;
  readonly region?: string;
  readonly interface: 'public' | 'internal' | 'admin';
  /** PEM text of the cloud's CA bundle. */
  readonly ca?: string;
}

/** The clouds.yaml files searched, in openstacksdk's order (OS_CLIENT_CONFIG_FILE alone when set). */
export function cloudsFiles(env: NodeJS.ProcessEnv, cwd: string): string[] {
  if (env.OS_CLIENT_CONFIG_FILE) return [env.OS_CLIENT_CONFIG_FILE];
  const config = env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config');
  return [join(cwd, 'clouds.yaml'), join(config, 'openstack', 'clouds.yaml'), '/etc/openstack/clouds.yaml'];
}

function readYaml(file: string): z.infer<typeof CloudsFile> {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new AnvilError('cli.cloud_unreadable', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = CloudsFile.safeParse(data ?? {});
  if (!r.success) throw new AnvilError('cli.cloud_unreadable', `${file}: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`);
  return r.data;
}

/** A cloud with its secure.yaml entry (same folder) merged over it, as openstacksdk merges them. */
function findCloud(name: string, files: readonly string[]): { cloud: CloudT; file: string } {
  const seen: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const clouds = readYaml(file).clouds;
    seen.push(`${file} (${Object.keys(clouds).join(', ') || 'no clouds'})`);
    const cloud = clouds[name];
    if (!cloud) continue;
    const secureFile = join(dirname(file), 'secure.yaml');
    const secure = existsSync(secureFile) ? readYaml(secureFile).clouds[name] : undefined;
    return { cloud: secure ? { ...cloud, ...secure, auth: { ...cloud.auth, ...secure.auth } } : cloud, file };
  }
  throw new AnvilError('cli.cloud_not_found', `no cloud named ${name} in ${seen.length ? seen.join('; ') : `any of ${files.join(', ')} (none exists)`}`);
}

/** The OS_* variables as a cloud. */
function envCloud(env: NodeJS.ProcessEnv): CloudT {
  const auth: Record<string, string> = {};
  const keys = ['auth_url', 'username', 'password', 'user_domain_name', 'project_name', 'project_id', 'project_domain_name', 'application_credential_id', 'application_credential_secret', 'token'];
  for (const k of keys) {
    const v = env[`OS_${k.toUpperCase()}`];
    if (v) auth[k] = v;
  }
  return Cloud.parse({
    auth,
    ...(env.OS_AUTH_TYPE ? { auth_type: env.OS_AUTH_TYPE } : {}),
    ...(env.OS_REGION_NAME ? { region_name: env.OS_REGION_NAME } : {}),
    ...(env.OS_INTERFACE ? { interface: env.OS_INTERFACE } : {}),
    ...(env.OS_CACERT ? { cacert: env.OS_CACERT } : {}),
  });
}

/** Keystone v3's base URL: clouds.yaml often gives Keystone's root (`http://host:5000`). */
function v3(url: string): string {
  const u = url.replace(/\/+$/, '');
  return /\/v3$/.test(u) ? u : `${u}/v3`;
}

function toAuth(c: CloudT, source: string): KeystoneAuthT {
  const a = c.auth;
  const need = (fields: string[]): void => {
    const missing = fields.filter((f) => !(a as Record<string, unknown>)[f]);
    if (missing.length) throw new AnvilError('cli.cloud_incomplete', `${source} has no ${missing.join(', ')}`);
  };
  const type = c.auth_type ?? (a.application_credential_id ? 'v3applicationcredential' : a.token ? 'v3token' : 'password');
  switch (type) {
    case 'password':
    case 'v3password':
      need(['auth_url', 'username', 'password']);
      return {
        type: 'password',
        auth_url: v3(a.auth_url!),
        username: a.username!,
        password: a.password!,
        ...(a.user_domain_name ? { user_domain_name: a.user_domain_name } : {}),
        ...(a.project_id ? { project_id: a.project_id } : a.project_name ? { project_name: a.project_name } : {}),
        ...(a.project_domain_name ? { project_domain_name: a.project_domain_name } : {}),
      };
    case 'v3applicationcredential':
      need(['auth_url', 'application_credential_id', 'application_credential_secret']);
      return { type: 'application_credential', auth_url: v3(a.auth_url!), id: a.application_credential_id!, secret: a.application_credential_secret! };
    case 'token':
    case 'v3token':
      need(['auth_url', 'token']);
      return { type: 'token', auth_url: v3(a.auth_url!), token: a.token!, ...(a.project_id ? { project_id: a.project_id } : {}) };
    default:
      throw new AnvilError('cli.cloud_auth_type', `${source} has auth_type ${type}; the anvil command speaks password, v3password, v3applicationcredential, token and v3token`);
  }
}

function endpointInterface(v: string | undefined, source: string): CloudAuth['interface'] {
  const i = (v ?? 'public').replace(/URL$/, '');
  if (i === 'public' || i === 'internal' || i === 'admin') return i;
  throw new AnvilError('cli.cloud_incomplete', `${source} has interface ${v}; use public, internal or admin`);
}

/**
 * The command's Keystone credentials: `cloud` (`--os-cloud`) or `OS_CLOUD` names a cloud of clouds.yaml; else
 * `OS_AUTH_URL` makes the `OS_*` variables the credentials; else there are none (a service and Ironic without
 * Keystone).
 */
export function resolveCloudAuth(o: { cloud?: string | undefined; env: NodeJS.ProcessEnv; cwd: string }): CloudAuth | undefined {
  const name = o.cloud ?? o.env.OS_CLOUD;
  let cloud: CloudT;
  let source: string;
  if (name) {
    const found = findCloud(name, cloudsFiles(o.env, o.cwd));
    cloud = found.cloud;
    source = `cloud ${name} (${found.file})`;
  } else if (o.env.OS_AUTH_URL) {
    cloud = envCloud(o.env);
    source = 'the OS_* variables';
  } else return undefined;
  let ca: string | undefined;
  if (cloud.cacert) {
    try {
      ca = readFileSync(cloud.cacert, 'utf8');
    } catch (err) {
      throw new AnvilError('cli.cloud_unreadable', `cannot read the cacert ${cloud.cacert} of ${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { source, auth: toAuth(cloud, source), interface: endpointInterface(cloud.interface, source), ...(cloud.region_name ? { region: cloud.region_name } : {}), ...(ca ? { ca } : {}) };
}
