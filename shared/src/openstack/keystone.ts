import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import { httpClient, toServiceError } from './http';

/** How to authenticate against Keystone v3. */
export const KeystoneAuth = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('password'),
    auth_url: z.string().url(),
    username: z.string(),
    password: z.string(),
    user_domain_name: z.string().default('Default'),
    project_name: z.string().optional(),
    project_id: z.string().optional(),
    project_domain_name: z.string().default('Default'),
    system_scope: z.literal('all').optional(),
  }),
  z.strictObject({
    type: z.literal('application_credential'),
    auth_url: z.string().url(),
    id: z.string(),
    secret: z.string(),
  }),
  z.strictObject({ type: z.literal('token'), auth_url: z.string().url(), token: z.string(), project_id: z.string().optional() }),
]);
export type KeystoneAuthT = z.input<typeof KeystoneAuth>;

const CatalogEntry = z.object({
  type: z.string(),
  name: z.string().optional(),
  endpoints: z.array(z.object({ interface: z.string(), region: z.string().nullish(), region_id: z.string().nullish(), url: z.string() })),
});
const TokenBody = z.object({
  token: z.object({
    expires_at: z.string(),
    user: z.object({ id: z.string(), name: z.string().optional() }).optional(),
    project: z.object({ id: z.string(), name: z.string().optional() }).optional(),
    roles: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
    catalog: z.array(CatalogEntry).optional(),
  }),
});
export type TokenInfo = z.infer<typeof TokenBody>['token'];
export type CatalogEntryT = z.infer<typeof CatalogEntry>;

export interface EndpointQuery {
  readonly type: string;
  readonly interface?: 'public' | 'internal' | 'admin';
  readonly region?: string;
}

/** Picks an endpoint from a catalog by service type, interface and region. */
export function selectEndpoint(catalog: readonly CatalogEntryT[], q: EndpointQuery): string {
  const iface = q.interface ?? 'public';
  for (const svc of catalog.filter((c) => c.type === q.type)) {
    const ep = svc.endpoints.find((e) => e.interface === iface && (!q.region || e.region_id === q.region || e.region === q.region));
    if (ep) return ep.url.replace(/\/+$/, '');
  }
  throw new AnvilError('keystone.no_endpoint', `the Keystone catalog has no ${iface} endpoint for service type ${q.type}${q.region ? ` in ${q.region}` : ''}`);
}

/** A Keystone v3 session: authenticates, caches the token and re-authenticates before it expires. */
export class KeystoneSession {
  private readonly auth: z.infer<typeof KeystoneAuth>;
  private cached?: { token: string; info: TokenInfo; expires: number };
  private pending?: Promise<{ token: string; info: TokenInfo }>;

  constructor(
    auth: KeystoneAuthT,
    private readonly refreshMarginMs = 120_000,
    /** PEM certificates to trust for an https Keystone. */
    private readonly ca?: string,
  ) {
    this.auth = KeystoneAuth.parse(auth);
  }

  get authUrl(): string {
    return this.auth.auth_url.replace(/\/+$/, '');
  }

  async token(): Promise<string> {
    return (await this.current()).token;
  }

  async info(): Promise<TokenInfo> {
    return (await this.current()).info;
  }

  async endpoint(q: EndpointQuery): Promise<string> {
    return selectEndpoint((await this.info()).catalog ?? [], q);
  }

  /** Forget the cached token (after a 401). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async current(): Promise<{ token: string; info: TokenInfo }> {
    if (this.cached && this.cached.expires - this.refreshMarginMs > Date.now()) return this.cached;
    this.pending ??= this.authenticate().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async authenticate(): Promise<{ token: string; info: TokenInfo }> {
    const client = httpClient({ baseURL: this.authUrl, retries: 3, ...(this.ca ? { ca: this.ca } : {}) });
    try {
      const res = await client.post('/auth/tokens', this.requestBody());
      const token = String(res.headers['x-subject-token'] ?? '');
      if (!token) throw new AnvilError('keystone.no_token', 'Keystone answered without an X-Subject-Token header');
      const info = TokenBody.parse(res.data).token;
      this.cached = { token, info, expires: Date.parse(info.expires_at) };
      return this.cached;
    } catch (err) {
      throw toServiceError('keystone', 'authentication failed', err);
    }
  }

  private requestBody(): unknown {
    const a = this.auth;
    switch (a.type) {
      case 'password': {
        const identity = { methods: ['password'], password: { user: { name: a.username, password: a.password, domain: { name: a.user_domain_name } } } };
        const scope = a.system_scope ? { system: { all: true } } : a.project_id ? { project: { id: a.project_id } } : a.project_name ? { project: { name: a.project_name, domain: { name: a.project_domain_name } } } : undefined;
        return { auth: { identity, ...(scope ? { scope } : {}) } };
      }
      case 'application_credential':
        return { auth: { identity: { methods: ['application_credential'], application_credential: { id: a.id, secret: a.secret } } } };
      case 'token':
        return { auth: { identity: { methods: ['token'], token: { id: a.token } }, ...(a.project_id ? { scope: { project: { id: a.project_id } } } : {}) } };
    }
  }
}

/** One thing an application credential may do: a method on a path of one service type (Keystone access rules). */
export interface AccessRule {
  readonly service: string;
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
}

const AppCredBody = z.object({ application_credential: z.object({ id: z.string(), secret: z.string().optional(), expires_at: z.string().nullish() }) });

export interface ApplicationCredential {
  readonly id: string;
  readonly secret: string;
  readonly userId: string;
  readonly expiresAt: string;
}

/**
 * Creates an application credential for the session's user: restricted to `accessRules`, expiring at
 * `expiresAt`, holding only `roles` of the user's roles on the session's project (all of them if omitted).
 */
export async function createApplicationCredential(
  session: KeystoneSession,
  o: { name: string; description?: string; expiresAt: Date; accessRules: readonly AccessRule[]; roles?: readonly string[] },
): Promise<ApplicationCredential> {
  const info = await session.info();
  const userId = info.user?.id;
  if (!userId) throw new AnvilError('keystone.no_user', 'the service token names no user: application credentials need a user');
  const http = httpClient({ baseURL: session.authUrl, retries: 2 });
  try {
    const body = {
      application_credential: {
        name: o.name,
        ...(o.description ? { description: o.description } : {}),
        expires_at: o.expiresAt.toISOString().replace(/Z$/, ''),
        unrestricted: false,
        access_rules: o.accessRules,
        ...(o.roles ? { roles: o.roles.map((name) => ({ name })) } : {}),
      },
    };
    const res = await http.post(`/users/${encodeURIComponent(userId)}/application_credentials`, body, { headers: { 'X-Auth-Token': await session.token() } });
    const cred = AppCredBody.parse(res.data).application_credential;
    if (!cred.secret) throw new AnvilError('keystone.no_secret', 'Keystone created the application credential without returning its secret');
    return { id: cred.id, secret: cred.secret, userId, expiresAt: cred.expires_at ?? o.expiresAt.toISOString() };
  } catch (err) {
    throw toServiceError('keystone', 'creating an application credential', err);
  }
}

/** Deletes an application credential; one already gone counts as deleted. */
export async function deleteApplicationCredential(session: KeystoneSession, userId: string, id: string): Promise<void> {
  const http = httpClient({ baseURL: session.authUrl, retries: 2 });
  try {
    await http.delete(`/users/${encodeURIComponent(userId)}/application_credentials/${encodeURIComponent(id)}`, {
      headers: { 'X-Auth-Token': await session.token() },
      validateStatus: (s) => s === 204 || s === 404,
    });
  } catch (err) {
    throw toServiceError('keystone', 'deleting an application credential', err);
  }
}
