import { Router } from 'express';
import { AnvilError } from '@anvil/shared';
import { LAYOUT_NAME, LAYOUT_QUERY, METADATA_URL_KEY, parseCapabilityUrl, VALIDATION_ROUTE, type NodeValidation } from '@anvil/shared/protocol';
import type { ServiceDeps } from '../deps';
import { secretMatches } from '../nodes/capability';
import { checksumFiles, layoutFit, nodePlanInputs } from '../plan/node-plan';
import { nodeIdent } from './params';

/**
 * `GET /v1/nodes/{node}/validation`: would the node's next deploy get a plan that fits it? The layout the plan
 * fetch would choose, filled from instance_info as it would be (samples for what a deploy has not set yet),
 * validated against the disks its agent last reported. `?layout=` names the layout a deploy template's
 * step argument would choose (the conductor plugin finds it in the templates the deploy's traits select). What the conductor plugin's validate() shows
 * `baremetal node validate`; nothing is touched and no credential is made.
 */
export function validationRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  const readChecksumFile = checksumFiles();
  const sources = { repo: d.repo, glance: d.glance, defaultLayout: d.config.default_layout };
  r.get(VALIDATION_ROUTE, d.auth.require('read'), async (req, res) => {
    const node = await d.ironic.getNode(nodeIdent(req));
    const row = await d.repo.node(node.uuid);
    if (!row) throw new AnvilError('node.not_found', `the service has not adopted node ${node.uuid}: adopt it first (anvil node adopt ${node.uuid})`);
    const url = node.driver_info[METADATA_URL_KEY];
    const cap = typeof url === 'string' ? parseCapabilityUrl(url) : undefined;
    const capability = cap === undefined ? 'missing' : cap.node === node.uuid && secretMatches(cap.secret, row.capability_hash) ? 'current' : 'stale';
    const asked = req.query[LAYOUT_QUERY];
    if (asked !== undefined && (typeof asked !== 'string' || !LAYOUT_NAME.test(asked))) throw new AnvilError('request.invalid', `?${LAYOUT_QUERY}= must name one layout (lower-case letters, digits, - and _)`);
    const { layout, via, values } = await nodePlanInputs(sources, node, readChecksumFile, asked);
    const held = await d.repo.nodeInventory(node.uuid);
    const report = layoutFit(layout, node.uuid, held?.inventory, values);
    const body: NodeValidation = {
      node_uuid: node.uuid,
      layout: layout.name,
      via,
      capability,
      inventory: held ? { source: 'agent', reported_at: held.reported_at, disks: held.inventory.disks.length } : null,
      valid: report.valid && capability === 'current',
      entries: report.entries.map((e) => ({ severity: e.severity, code: e.code, pointer: e.pointer, message: e.message })),
    };
    res.json(body);
  });
  return r;
}
