import { createHash } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { AnvilError } from '@anvil/shared';
import { CAPABILITY_HEADER, LAYOUT_NAME, LAYOUT_QUERY, METADATA_ROUTE, PASSTHRU_ROUTE, PROGRESS_METHOD, ProgressReport } from '@anvil/shared/protocol';
import type { ServiceDeps } from '../deps';
import { secretMatches } from '../nodes/capability';
import { fillLayout } from '../plan/fill';
import { checkableText, checksumFiles, nodePlanInputs } from '../plan/node-plan';
import { PlanValidity } from '../plan/validity';
import { DEPLOYING } from '../nodes/deploying-cache';
import { BODY_LIMITS, jsonBody } from './bodies';
import { auditNodeId, capabilityGuard, sourceOf as source } from './capability-guard';
import { param } from './params';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The routes agents call with the node's capability: the plan, and progress reports. */
export function agentRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  const validity = new PlanValidity();
  const guard = capabilityGuard(d);
  const readChecksumFile = checksumFiles();
  const sources = { repo: d.repo, glance: d.glance, defaultLayout: d.config.default_layout };

  // Refusals are warnings (someone holds a wrong or old capability, or guesses): the guard bounds how many.
  const authorise = async (nodeUuid: string, secret: string | undefined, req: Request, action: string): Promise<void> => {
    // Capability URLs name the node by its uuid: anything else is no node, and is not looked up.
    const node = UUID.test(nodeUuid) ? await d.repo.node(nodeUuid) : undefined;
    if (!node) {
      d.writer.audit(auditNodeId(nodeUuid), source(req), action, 'unknown node');
      d.log.warn({ node_uuid: auditNodeId(nodeUuid), source: source(req), action }, 'capability refused: unknown node');
      throw new AnvilError('capability.unknown_node', 'no such adopted node', {}, 404);
    }
    if (!secret || !secretMatches(secret, node.capability_hash)) {
      d.writer.audit(nodeUuid, source(req), action, 'refused: wrong capability');
      d.log.warn({ node_uuid: nodeUuid, source: source(req), action }, 'capability refused: wrong secret');
      throw new AnvilError('capability.refused', 'the capability does not match (it may have been rotated after a deploy)', {}, 403);
    }
  };

  r.get(METADATA_ROUTE, guard, async (req, res) => {
    const uuid = param(req, 'node');
    try {
      await authorise(uuid, param(req, 'secret'), req, 'plan');
      const node = await d.nodes.node(uuid);
      if (!DEPLOYING.includes(node.provision_state)) {
        d.writer.audit(uuid, source(req), 'plan', `refused: node is ${node.provision_state}`);
        throw new AnvilError('metadata.not_deploying', `node ${uuid} is ${node.provision_state}; its plan is served only while it deploys`, { state: node.provision_state }, 409);
      }
      const asked = req.query[LAYOUT_QUERY];
      if (asked !== undefined && (typeof asked !== 'string' || !LAYOUT_NAME.test(asked))) throw new AnvilError('request.invalid', `?${LAYOUT_QUERY}= must name one layout (lower-case letters, digits, - and _)`);
      const { layout, via, values, image } = await nodePlanInputs(sources, node, readChecksumFile, asked);
      const deployment = await d.tracker.begin(uuid, layout.name);
      const meta = { nodeUuid: uuid, deploymentId: deployment.id, layout: layout.name };
      let plan = fillLayout(layout.plan, values, meta);
      const checkable = checkableText(plan);
      const report = validity.report(checkable);
      if (!report.valid) {
        const first = report.entries.find((e) => e.severity === 'error')!;
        d.writer.audit(uuid, source(req), 'plan', `refused: invalid plan (${first.code})`);
        throw new AnvilError('metadata.invalid_plan', `layout ${layout.name} filled from instance_info is not a valid plan: ${first.pointer} ${first.code}: ${first.message}`, { entries: report.entries }, 409);
      }
      // Only a valid plan gets a credential: one per fetch, all deleted when the deploy is over.
      if (image && d.glance) plan = fillLayout(layout.plan, { ...values, image: { glance: await d.glance.grant(image.id, deployment) } }, meta);
      const body = JSON.stringify(plan, null, 2);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'no-store');
      d.writer.audit(uuid, source(req), 'plan', `served layout ${layout.name} (${via}), deployment ${deployment.id}${image ? `, Glance image ${image.id} with a download-only credential` : ''}`);
      d.metrics.planFetches.inc({ outcome: 'served' });
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      res.type('application/json').send(body);
    } catch (err) {
      d.metrics.planFetches.inc({ outcome: err instanceof AnvilError ? err.code : 'error' });
      throw err;
    }
  });

  // Authorised before its body is read: a wrong capability never makes the service parse a megabyte.
  const authoriseProgress = async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    if (param(req, 'method') !== PROGRESS_METHOD) throw new AnvilError('passthru.unknown_method', `no vendor passthru method ${param(req, 'method')} (the agent reports with progress)`, {}, 400);
    await authorise(param(req, 'node'), req.get(CAPABILITY_HEADER), req, 'progress');
    next();
  };
  r.post(PASSTHRU_ROUTE, guard, authoriseProgress, jsonBody(BODY_LIMITS.progress), async (req, res) => {
    const uuid = param(req, 'node');
    const body = ProgressReport.safeParse(req.body);
    if (!body.success) {
      d.metrics.reports.inc({ outcome: 'invalid' });
      throw new AnvilError('request.invalid', `progress report: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? ''}`);
    }
    // Queued, written with the other reports within progress_flush_ms (progress/writer.ts); counted when written;
    // a report with the final event is written at once (below).
    if (body.data.inventory) {
      // Once per deploy step, in a report of its own: written now (layouts are checked against it).
      await d.repo.setNodeInventory(uuid, body.data.inventory);
      d.log.info({ node_uuid: uuid, disks: body.data.inventory.disks.length }, 'inventory reported');
    }
    d.writer.report(uuid, body.data.events, body.data.bootstrap_uuid);
    // The report that ends a deploy is written before it is answered: the agent drains its reports before its
    // step says it is done, so whoever reads the deployment after the step (the conductor plugin's heartbeat,
    // `anvil deploy --wait`) sees how it ended, not the state of up to progress_flush_ms before.
    if (body.data.events.some((e) => e.type === 'done')) await d.writer.flush();
    res.status(202).end();
  });
  return r;
}
