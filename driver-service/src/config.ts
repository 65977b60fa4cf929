import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';

export const ServiceConfig = z.strictObject({
  listen_host: z.string().default('127.0.0.1'),
  listen_port: z.coerce.number().int().min(0).max(65535).default(9600),
  public_url: z.url({ protocol: /^https?$/ }).describe('The URL agents reach the service at; capability URLs start with it.'),
  data_dir: z.string().default('/var/lib/anvil'),
  ironic_url: z.url({ protocol: /^https?$/ }),
  ironic_microversion: z.string().default('1.80'),
  auth: z.enum(['noauth']).default('noauth').describe('Operator authentication (keystone is not implemented yet).'),
  default_layout: z.string().optional(),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});
export type ServiceConfigT = z.infer<typeof ServiceConfig>;

const ENV: Record<string, keyof ServiceConfigT> = {
  ANVIL_LISTEN_HOST: 'listen_host',
  ANVIL_LISTEN_PORT: 'listen_port',
  ANVIL_PUBLIC_URL: 'public_url',
  ANVIL_DATA_DIR: 'data_dir',
  ANVIL_IRONIC_URL: 'ironic_url',
  ANVIL_IRONIC_MICROVERSION: 'ironic_microversion',
  ANVIL_AUTH: 'auth',
  ANVIL_DEFAULT_LAYOUT: 'default_layout',
  ANVIL_LOG_LEVEL: 'log_level',
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
  const parsed = ServiceConfig.safeParse({ ...fromFile, ...fromEnv });
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
