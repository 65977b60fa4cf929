import type { NextFunction, Request, Response } from 'express';
import { AnvilError, type Logger } from '@anvil/shared';
import { httpClient, type KeystoneSession } from '@anvil/shared/openstack';
import { z } from 'zod';

export type Right = 'read' | 'write';

const TokenInfo = z.object({
  token: z.object({
    expires_at: z.string(),
    user: z.object({ id: z.string(), name: z.string().optional() }),
    roles: z.array(z.object({ name: z.string() })).default([]),
  }),
});

/** Keystone roles → rights: admin writes (layouts, adoption); member and reader read. */
export function rightsOf(roles: readonly string[]): Set<Right> {
  const r = new Set<Right>();
  if (roles.includes('admin')) r.add('write').add('read');
  if (roles.includes('member') || roles.includes('reader')) r.add('read');
  return r;
}

export interface Authenticator {
  /** Express middleware requiring `right`. */
  require(right: Right): (req: Request, res: Response, next: NextFunction) => void;
}

export function noAuth(): Authenticator {
  return { require: () => (_req, _res, next) => next() };
}

/**
 * Validates `X-Auth-Token` against Keystone (`GET /v3/auth/tokens`) with the service's own token; answers
 * are cached until a minute has passed or the token expires. Tokens are never logged.
 */
export function keystoneAuth(service: KeystoneSession, log: Logger, cacheMs = 60_000): Authenticator {
  const cache = new Map<string, { roles: string[]; user: string; until: number }>();
  const http = httpClient({ baseURL: service.authUrl, retries: 2, timeoutMs: 10_000 });
  const validate = async (token: string): Promise<{ roles: string[]; user: string }> => {
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) return hit;
    const res = await http.get('/auth/tokens', { headers: { 'X-Auth-Token': await service.token(), 'X-Subject-Token': token }, validateStatus: (s) => s === 200 || s === 404 || s === 401 });
    if (res.status !== 200) throw new AnvilError('auth.invalid_token', 'the token is not valid (expired, revoked or unknown to Keystone)');
    const info = TokenInfo.parse(res.data).token;
    const entry = { roles: info.roles.map((r) => r.name), user: info.user.name ?? info.user.id, until: Math.min(Date.now() + cacheMs, Date.parse(info.expires_at)) };
    if (cache.size > 10_000) cache.clear();
    cache.set(token, entry);
    return entry;
  };
  return {
    require: (right) => (req, _res, next) => {
      const token = req.get('x-auth-token');
      if (!token) {
        next(new AnvilError('auth.missing_token', 'this route needs a Keystone token in X-Auth-Token'));
        return;
      }
      validate(token).then(
        (who) => {
          if (!rightsOf(who.roles).has(right)) {
            log.info({ user: who.user, roles: who.roles, right, path: req.path }, 'refused: missing right');
            next(new AnvilError('auth.forbidden', `${right === 'write' ? 'changing' : 'reading'} this needs the ${right === 'write' ? 'admin' : 'reader, member or admin'} role`));
            return;
          }
          next();
        },
        (err: unknown) => next(err instanceof AnvilError ? err : new AnvilError('auth.keystone_unavailable', `Keystone could not validate the token: ${err instanceof Error ? err.message : String(err)}`)),
      );
    },
  };
}
