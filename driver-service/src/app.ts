import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AnvilError } from '@anvil/shared';
import type { ServiceDeps } from './deps';
import { deploymentRoutes } from './routes/deployments';
import { layoutRoutes } from './routes/layouts';
import { agentRoutes } from './routes/metadata';
import { nodeRoutes } from './routes/nodes';
import { operationRoutes } from './routes/operations';

/** The driver-service's HTTP API (docs/openapi/driver-service.yaml). */
export function serviceApp(d: ServiceDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16mb' }));
  app.use((req, res, next) => {
    const id = req.get('x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', id);
    const started = Date.now();
    res.on('finish', () => {
      // Capability URLs carry a secret in their path: never log it.
      const path = req.path.replace(/^(\/v1\/metadata\/[^/]+\/)[^/]+/, '$1***');
      d.log.info({ request_id: id, method: req.method, path, status: res.statusCode, ms: Date.now() - started, source: req.socket.remoteAddress }, 'request');
    });
    next();
  });
  app.use(operationRoutes(d));
  app.use(nodeRoutes(d));
  app.use(layoutRoutes(d));
  app.use(agentRoutes(d));
  app.use(deploymentRoutes(d));
  app.use((_req: Request, _res: Response, next: NextFunction) => next(new AnvilError('request.not_found', 'no such route', {}, 404)));
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AnvilError) {
      const { entries, ...details } = err.details as Record<string, unknown>;
      res.status(err.status >= 400 && err.status < 600 ? err.status : 500).json({ code: err.code, message: err.message, details: { ...details, ...(entries ? { entries } : {}) } });
      return;
    }
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) d.log.error({ err }, 'unexpected error');
    res.status(status).json({ code: status === 400 ? 'request.invalid' : 'service.error', message: err instanceof Error ? err.message : String(err) });
  });
  return app;
}
