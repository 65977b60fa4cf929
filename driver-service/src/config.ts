import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';
import { DEFAULT_BOOTSTRAP_STORE } from '@anvil/shared/bootstrap';

export const ServiceConfig = z.strictObject({
  listen_host: z.string().default('127.0.0.1'),
  listen_port: z.coerce.number().int().min(0).max(65535).default(9600),
  public_url: z.url({ protocol: /^https?$/ }).describe('The URL agents reach the service at; capability URLs start with it.'),
  data_dir: z.string().default('/var/lib/anvil'),
  database_url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL for the service\'s state (replicas share it); default: SQLite in data_dir.'),
  ironic_url: z.url({ protocol: /^https?$/ }),
  ironic_microversion: z.string().default('1.80'),
  auth: z.enum(['noauth', 'keystone']).default('noauth').describe('Operator authentication: keystone validates X-Auth-Token; noauth for local use.'),
  keystone: z
    .strictObject({
      auth_url: z.url(),
      username: z.string(),
      password: z.string(),
      project_name: z.string().default('service'),
      user_domain_name: z.string().default('Default'),
      project_domain_name: z.string().default('Default'),
    })
    .optional()
    .describe('The service\'s own Keystone credentials: to validate operators\' tokens and to call Ironic.'),
  glance_url: z.url({ protocol: /^https?$/ }).optional().describe('Glance, as agents reach it. Default: the `image` endpoint in the Keystone catalog.'),
  credential_ttl_seconds: z.coerce.number().int().min(300).max(86_400).default(7200).describe('Lifetime of the application credential an agent gets for a Glance image (the deploy window); it is deleted earlier, when Ironic shows the deploy over.'),
  credential_roles: z
    .preprocess((v) => (typeof v === 'string' ? v.split(',').map((r) => r.trim()).filter(Boolean) : v), z.array(z.string().min(1)).min(1))
    .default(['reader'])
    .describe('The only roles such a credential carries (of the service user\'s roles on its project): Keystone does not apply access rules to its own API, so the credential must not carry admin.'),
  node_cache_ms: z.coerce.number().int().min(200).max(60_000).default(2000).describe('How often the deploying nodes are read from Ironic in bulk (plan fetches are answered from that read).'),
  progress_flush_ms: z.coerce.number().int().min(10).max(5000).default(100).describe('How often queued progress reports and audit records are written (in batches; a report is answered once it is queued, the one that ends a deploy once it is written).'),
  workers: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(1)
    .describe('Worker processes serving the API (node:cluster, one port, one database); default 1. More pay off on a controller with cores to spare beside Ironic: each worker keeps its own deploying-nodes list. The first worker also follows deploys in Ironic and checkpoints SQLite.'),
  capability_failures_per_minute: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(30)
    .describe('Refused capability guesses (wrong secret, unknown node) one source address may make in a minute; beyond that it is answered 429 without a look at the database, and audited once a minute. A right capability is never counted. Per worker and replica.'),
  default_layout: z.string().optional(),
  bootstrap_store: z.string().default(DEFAULT_BOOTSTRAP_STORE).describe('The bootstrap store the service serves read-only (`/v1/bootstraps`) and activates in (the `anvil bootstrap` commands\' default too).'),
  agent_kernel_params: z.string().default('%default%').describe('The agent\'s own kernel parameters: activation writes them, the image\'s extend_kopts and anvil.bootstrap=<uuid> into driver_info.kernel_append_params (`%default%` is Ironic\'s [pxe] kernel_append_params).'),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});
export type ServiceConfigT = z.infer<typeof ServiceConfig>;

const ENV: Record<string, keyof ServiceConfigT> = {
  ANVIL_LISTEN_HOST: 'listen_host',
  ANVIL_LISTEN_PORT: 'listen_port',
  ANVIL_PUBLIC_URL: 'public_url',
  ANVIL_DATA_DIR: 'data_dir',
  ANVIL_DATABASE_URL: 'database_url',
  ANVIL_IRONIC_URL: 'ironic_url',
  ANVIL_IRONIC_MICROVERSION: 'ironic_microversion',
  ANVIL_AUTH: 'auth',
  ANVIL_DEFAULT_LAYOUT: 'default_layout',
  ANVIL_BOOTSTRAP_STORE: 'bootstrap_store',
  ANVIL_AGENT_KERNEL_PARAMS: 'agent_kernel_params',
  ANVIL_GLANCE_URL: 'glance_url',
  ANVIL_NODE_CACHE_MS: 'node_cache_ms',
  ANVIL_PROGRESS_FLUSH_MS: 'progress_flush_ms',
  ANVIL_WORKERS: 'workers',
  ANVIL_CREDENTIAL_TTL_SECONDS: 'credential_ttl_seconds',
  ANVIL_CREDENTIAL_ROLES: 'credential_roles',
  ANVIL_LOG_LEVEL: 'log_level',
  ANVIL_CAPABILITY_FAILURES_PER_MINUTE: 'capability_failures_per_minute',
};
const KEYSTONE_ENV: Record<string, string> = {
  ANVIL_KEYSTONE_AUTH_URL: 'auth_url',
  ANVIL_KEYSTONE_USERNAME: 'username',
  ANVIL_KEYSTONE_PASSWORD: 'password',
  ANVIL_KEYSTONE_PROJECT_NAME: 'project_name',
};

/** Configuration from a YAML/JSON file (optional) with ANVIL_* environment variables on top, validated. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ServiceConfigT {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new AnvilError('config.unreadable', `cannot read the configuration file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const fromEnv: Record<string, string> = {};
  for (const [k, key] of Object.entries(ENV)) if (env[k] !== undefined) fromEnv[key] = env[k]!;
  const keystone: Record<string, string> = { ...(fromFile.keystone as Record<string, string> | undefined) };
  for (const [k, key] of Object.entries(KEYSTONE_ENV)) if (env[k] !== undefined) keystone[key] = env[k]!;
  const parsed = ServiceConfig.superRefine((c, ctx) => {
    if (c.auth === 'keystone' && !c.keystone) ctx.addIssue({ code: 'custom', path: ['keystone'], message: 'auth is keystone: the service needs its Keystone credentials (keystone.auth_url, username, password)' });
  }).safeParse({ ...fromFile, ...fromEnv, ...(Object.keys(keystone).length ? { keystone } : {}) });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      const envName = Object.entries(ENV).find(([, v]) => v === key)?.[0];
      return `${key}${envName ? ` (${envName})` : ''}: ${i.message}`;
    });
    throw new AnvilError('config.invalid', `the configuration is not valid: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}
