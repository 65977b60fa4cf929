import { Router } from 'express';
import { AnvilError } from '@anvil/shared';
import { DEPLOYMENT_EVENT, DEPLOYMENT_ROUTE } from '@anvil/shared/protocol';
import type { DeploymentBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { param } from './params';

export function deploymentRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  r.get('/v1/deployments', d.auth.require('read'), async (_req, res) => {
    res.json({ deployments: (await d.repo.deployments()) satisfies DeploymentBody[] });
  });
  r.get(DEPLOYMENT_ROUTE, d.auth.require('read'), async (req, res) => {
    const dep = await d.repo.latestDeployment(param(req, 'node'));
    if (!dep) throw new AnvilError('deployment.not_found', `no deployment of node ${param(req, 'node')}`);
    res.json(dep satisfies DeploymentBody);
  });
  // Server-sent events: the current state at once, then one event per change. Changes this replica makes
  // arrive at once; changes another replica makes (agents' reports to it) are read back every second.
  r.get('/v1/deployments/:node/events', d.auth.require('read'), async (req, res) => {
    const node = param(req, 'node');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    let last = '';
    const send = (dep: DeploymentBody): void => {
      const key = `${dep.id} ${dep.updated_at}`;
      if (key === last) return;
      last = key;
      res.write(`event: ${DEPLOYMENT_EVENT}\ndata: ${JSON.stringify(dep)}\n\n`);
    };
    const current = await d.repo.latestDeployment(node);
    if (current) send(current);
    const unsubscribe = d.tracker.subscribe(node, send);
    const poll = setInterval(() => {
      d.repo.latestDeployment(node).then((dep) => dep && send(dep), () => undefined);
    }, 1000);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      clearInterval(poll);
      unsubscribe();
    });
  });
  return r;
}
