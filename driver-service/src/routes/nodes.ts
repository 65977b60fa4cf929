import { Router } from 'express';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';
import type { AdoptionBody, NodeBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { param } from './params';
import { adoptNode } from '../nodes/adopt';

const AdoptRequest = z.strictObject({ layout: z.string().optional() });

export function nodeRoutes(d: ServiceDeps): Router {
  const r = Router();
  r.post('/v1/nodes/:node/adopt', d.auth.require('write'), async (req, res) => {
    const body = AdoptRequest.safeParse(req.body ?? {});
    if (!body.success) throw new AnvilError('request.invalid', `adopt: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? ''}`);
    const result = await adoptNode(d.ironic, d.repo, d.config, param(req, 'node'), body.data.layout);
    d.log.info({ node_uuid: result.node_uuid, layout: result.layout }, 'node adopted');
    res.json(result satisfies AdoptionBody);
  });
  r.get('/v1/nodes/:node', d.auth.require('read'), async (req, res) => {
    const node = await d.repo.node(param(req, 'node'));
    if (!node) throw new AnvilError('node.not_found', `the service has not adopted a node ${param(req, 'node')}`);
    res.json({ node_uuid: node.uuid, layout: node.layout, adopted_at: node.adopted_at, bootstrap_uuid: node.bootstrap_uuid, bootstrap_reported_at: node.bootstrap_reported_at } satisfies NodeBody);
  });
  return r;
}
