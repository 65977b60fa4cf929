import { Router } from 'express';
import { z } from 'zod';
import { NODE_ROUTE } from '@anvil/shared/protocol';
import { AnvilError } from '@anvil/shared';
import type { AdoptionBody, NodeBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { nodeIdent, param } from './params';
import { BODY_LIMITS, jsonBody } from './bodies';
import { adoptNode } from '../nodes/adopt';

const AdoptRequest = z.strictObject({ layout: z.string().optional() });

export function nodeRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  r.post('/v1/nodes/:node/adopt', d.auth.require('write'), jsonBody(BODY_LIMITS.adopt), async (req, res) => {
    const ident = nodeIdent(req);
    const body = AdoptRequest.safeParse(req.body ?? {});
    if (!body.success) throw new AnvilError('request.invalid', `adopt: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? ''}`);
    const result = await adoptNode(d.ironic, d.repo, d.config, ident, body.data.layout);
    d.log.info({ node_uuid: result.node_uuid, layout: result.layout }, 'node adopted');
    res.json(result satisfies AdoptionBody);
  });
  r.get(NODE_ROUTE, d.auth.require('read'), async (req, res) => {
    const node = await d.repo.node(nodeIdent(req));
    if (!node) throw new AnvilError('node.not_found', `the service has not adopted a node ${param(req, 'node')}`);
    res.json({ node_uuid: node.uuid, layout: node.layout, adopted_at: node.adopted_at, bootstrap_uuid: node.bootstrap_uuid, bootstrap_reported_at: node.bootstrap_reported_at } satisfies NodeBody);
  });
  return r;
}
