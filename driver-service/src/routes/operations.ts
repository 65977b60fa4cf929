import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { AnvilError } from '@anvil/shared';
import type { ServiceDeps } from '../deps';

const SPEC = join(__dirname, '../../../docs/openapi/driver-service.yaml');

/** Health, readiness, metrics and the rendered API reference. */
export function operationRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    try {
      await d.repo.ping();
      await d.ironic.ping();
      res.json({ status: 'ready' });
    } catch (err) {
      // Answered by the app's one error handler, as every error is (503 from the catalogue).
      throw new AnvilError('service.not_ready', err instanceof Error ? err.message : String(err), {}, undefined, err);
    }
  });
  r.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  r.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(readFileSync(SPEC, 'utf8'));
  });
  r.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false }));
  r.get('/docs', (_req, res) => {
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Anvil driver-service API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#ui' });</script></body></html>`);
  });
  return r;
}
