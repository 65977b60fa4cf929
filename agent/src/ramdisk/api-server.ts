import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { Logger } from '@anvil/shared';
import { ApiFault, type CommandProcessor } from './commands/registry';

export const AGENT_VERSION = '0.1.0';

const CommandBody = z.strictObject({
  name: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'name must be <extension>.<command>'),
  params: z.record(z.string(), z.unknown()).default({}),
});

export interface ApiOptions {
  readonly commands: CommandProcessor;
  /** The agent token once known; POSTs must carry it, GETs may. */
  readonly token: () => string | undefined;
  readonly log: Logger;
  readonly startedAt: Date;
}

/**
 * A command's body: Ironic sends the node with its instance_info (a config drive of up to 64 MiB may be in it), so
 * the limit is generous; it is read only after the token was checked.
 */
export const COMMAND_BODY_LIMIT = 64 * 1024 * 1024;
/** Refused requests (wrong or missing token) one source may make in a minute before it gets 429 unheard. */
export const REFUSALS_PER_MINUTE = 30;

const queryString = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const truthy = (v: string | undefined): boolean => v !== undefined && ['true', '1', 'yes'].includes(v.toLowerCase());

/** The IPA-compatible agent API the conductor drives (`/v1/commands/`), also served without the `/v1` prefix. */
export function agentApp(o: ApiOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('strict routing', false);
  // Token guessing, bounded (express-rate-limit): refused requests count per source, accepted ones never; past
  // the limit a source is answered 429 and logged once a minute, so a guesser cannot flood the log either.
  const limitedLogged = new Map<string, number>();
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: REFUSALS_PER_MINUTE,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => ipKeyGenerator(req.socket.remoteAddress ?? 'unknown'),
      requestWasSuccessful: (_req, res) => res.statusCode !== 401,
      skipSuccessfulRequests: true,
      handler: (req, _res, next) => {
        const source = req.socket.remoteAddress ?? 'unknown';
        if ((limitedLogged.get(source) ?? 0) < Date.now() - 60_000) {
          if (limitedLogged.size > 1000) limitedLogged.clear();
          limitedLogged.set(source, Date.now());
          o.log.warn({ source }, 'agent API: too many refused requests from one source; answering 429 for a minute');
        }
        next(new ApiFault(429, 'Too many refused requests; try again later.'));
      },
    }),
  );

  const checkToken = (req: Request, required: boolean): void => {
    const expected = o.token();
    if (!expected) {
      if (required) throw new ApiFault(401, 'Invalid or missing agent token received: the agent has no token yet.');
      return;
    }
    const given = queryString(req.query.agent_token);
    if (given === undefined && !required) return;
    if (given !== expected) throw new ApiFault(401, 'Invalid or missing agent token received.');
  };
  const base = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

  app.get('/', (req, res) => {
    const links = [{ href: `${base(req)}/v1/`, rel: 'self' }];
    res.json({ name: 'Anvil agent', description: 'Anvil provisioning agent (IPA-compatible API)', versions: [{ id: 'v1', links }], default_version: { id: 'v1', links } });
  });
  const router = express.Router({ strict: false });
  router.get('/', (req, res) => {
    res.json({ id: 'v1', links: [{ href: `${base(req)}/v1/commands/`, rel: 'commands' }, { href: `${base(req)}/v1/status`, rel: 'status' }] });
  });
  router.get('/status', (_req, res) => {
    res.json({ started_at: o.startedAt.toISOString(), version: AGENT_VERSION });
  });
  router.get('/commands', (req, res) => {
    checkToken(req, false);
    res.json({ commands: o.commands.list() });
  });
  router.get('/commands/:id', async (req, res) => {
    checkToken(req, false);
    const id = req.params.id!;
    const result = truthy(queryString(req.query.wait)) ? await o.commands.waitFor(id) : o.commands.get(id);
    if (!result) throw new ApiFault(404, `Command ${id} not found`);
    res.json(result);
  });
  // The token first, the body after: a request without the token is refused before a byte of its body is read.
  const tokenFirst = (req: Request, _res: Response, next: NextFunction): void => {
    checkToken(req, true);
    next();
  };
  router.post('/commands', tokenFirst, express.json({ limit: COMMAND_BODY_LIMIT }), async (req, res) => {
    const body = CommandBody.safeParse(req.body);
    if (!body.success) throw new ApiFault(400, `Invalid command: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    const wait = truthy(queryString(req.query.wait));
    o.log.info({ command: body.data.name, wait }, 'command received');
    res.json(await o.commands.execute(body.data.name, body.data.params, wait));
  });
  app.use('/v1', router);
  app.use('/', router);

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new ApiFault(404, 'Resource could not be found.')));
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof ApiFault ? err.status : typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    const message = err instanceof Error ? err.message : String(err);
    if (status >= 500) o.log.error({ err, path: req.path }, 'agent API error');
    else o.log.warn({ status, path: req.path, message }, 'agent API refused a request');
    res.status(status).json({ faultcode: status >= 500 ? 'Server' : 'Client', faultstring: message });
  });
  return app;
}

export async function listen(app: express.Express, host: string, port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) reject(err);
      else resolve({ server, port: (server.address() as AddressInfo).port });
    });
    server.on('error', reject);
  });
}
