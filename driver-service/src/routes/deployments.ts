import { Router } from 'express';
import { AnvilError } from '@anvil/shared';
import type { DeploymentBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { param } from './params';

export function deploymentRoutes(d: ServiceDeps): Router {
  const r = Router();
  r.get('/v1/deployments', d.auth.require('read'), (_req, res) => {
    res.json({ deployments: d.repo.deployments() satisfies DeploymentBody[] });
  });
  r.get('/v1/deployments/:node', d.auth.require('read'), (req, res) => {
    const dep = d.repo.latestDeployment(param(req, 'node'));
    if (!dep) throw new AnvilError('deployment.not_found', `no deployment of node ${param(req, 'node')}`, {}, 404);
    res.json(dep satisfies DeploymentBody);
  });
  // Server-sent events: the current state at once, then one event per change.
  r.get('/v1/deployments/:node/events', d.auth.require('read'), (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const send = (data: unknown): void => void res.write(`event: deployment\ndata: ${JSON.stringify(data)}\n\n`);
    const current = d.repo.latestDeployment(param(req, 'node'));
    if (current) send(current);
    const unsubscribe = d.tracker.subscribe(param(req, 'node'), send);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });
  return r;
}
