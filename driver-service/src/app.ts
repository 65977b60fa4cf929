import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AnvilError } from '@anvil/shared';
import { redactPath } from '@anvil/shared/protocol';
import type { ServiceDeps } from './deps';
import { bootstrapRoutes } from './routes/bootstraps';
import { deploymentRoutes } from './routes/deployments';
import { layoutRoutes } from './routes/layouts';
import { agentRoutes } from './routes/metadata';
import { validationRoutes } from './routes/validation';
import { nodeRoutes } from './routes/nodes';
import { operationRoutes } from './routes/operations';

/** The driver-service's HTTP API (docs/openapi/driver-service.yaml). */
export function serviceApp(d: ServiceDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Paths are case-sensitive (every router too): `/V1/Metadata/…` is no route. Bodies are read by each route
  // after it authorised the request, up to its own limit (routes/bodies.ts).
  app.set('case sensitive routing', true);
  app.use((req, res, next) => {
    const id = req.get('x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', id);
    if (d.worker !== undefined) res.setHeader('x-anvil-worker', String(d.worker));
    // Request lines are info: below that level, a thousand requests a second pay nothing for them.
    if (!d.log.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = Date.now();
    res.on('finish', () => {
      // Capability URLs carry a secret in their path: never log it (the one redaction rule, any case).
      const path = redactPath(req.originalUrl);
      d.log.info({ request_id: id, method: req.method, path, status: res.statusCode, ms: Date.now() - started, source: req.socket.remoteAddress }, 'request');
    });
    next();
  });
  // The agents' routes first: they take nearly all the requests, and express tries routers in order.
  app.use(agentRoutes(d));
  app.use(operationRoutes(d));
  app.use(nodeRoutes(d));
  app.use(validationRoutes(d));
  app.use(layoutRoutes(d));
  app.use(deploymentRoutes(d));
  app.use(bootstrapRoutes(d));
  app.use((_req: Request, _res: Response, next: NextFunction) => next(new AnvilError('request.not_found', 'no such route')));
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // The one place errors become answers: routes throw catalogued AnvilErrors (status from the catalogue),
    // anything else is express's own (a body that is not JSON: 400) or a bug (500).
    const e = err instanceof AnvilError ? err : foreignError(err);
    if (e.status >= 500 && !(err instanceof AnvilError)) d.log.error({ err }, 'unexpected error');
    // A validation report's entries go beside the code (OpenAPI: InvalidLayout), not inside details.
    const { entries, ...details } = e.details as Record<string, unknown>;
    res.status(e.status >= 400 && e.status < 600 ? e.status : 500).json({ code: e.code, message: e.message, details, ...(entries !== undefined ? { entries } : {}) });
  });
  return app;
}

/** An error from express or a library: its own status when it has one (body-parser's 400), else 500. */
function foreignError(err: unknown): AnvilError {
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
  const message = err instanceof Error ? err.message : String(err);
  const code = status === 413 ? 'request.too_large' : status === 400 || status === 415 ? 'request.invalid' : 'service.error';
  return new AnvilError(code, message, {}, status >= 400 && status < 600 ? status : 500, err);
}
