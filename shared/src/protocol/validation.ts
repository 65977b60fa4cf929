import { z } from 'zod';
import { protocolSchemas } from './registry';

/*
 * What the driver-service answers when asked whether a node's next deploy would work
 * (`GET /v1/nodes/{node}/validation`): the conductor plugin's validate() turns it into what
 * `baremetal node validate` prints, so it is a contract of the three parts.
 */

/** The routes a conductor plugin asks: the verdict, the adopted node, and its latest deployment. */
export const VALIDATION_ROUTE = '/v1/nodes/:node/validation';
export const NODE_ROUTE = '/v1/nodes/:node';
export const DEPLOYMENT_ROUTE = '/v1/deployments/:node';

export const ValidationEntry = z
  .object({
    severity: z.enum(['error', 'warning']),
    code: z.string().describe('A validation code (docs/reference/validation-codes.md).'),
    pointer: z.string().describe('RFC 6901 JSON pointer into the node’s plan.'),
    message: z.string(),
  })
  .describe('One finding about the node’s plan.')
  .register(protocolSchemas, { id: 'ValidationEntry' });

export const NodeValidation = z
  .object({
    node_uuid: z.string(),
    layout: z.string().describe('The layout the next deploy would use.'),
    via: z.string().describe('Why that layout (e.g. `instance_info.anvil_layout`, `trait CUSTOM_ANVIL_RAID10`).'),
    capability: z.enum(['current', 'missing', 'stale']).describe('Whether `driver_info.anvil_metadata_url` holds the capability the service issued (`stale`: re-adopt the node).'),
    inventory: z
      .object({
        source: z.literal('agent').describe('Who reported it: the agent, at the start of the node’s last deploy step.'),
        reported_at: z.string().meta({ format: 'date-time' }),
        disks: z.number().int().nonnegative(),
      })
      .nullable()
      .describe('The disks the plan was checked against; null when no agent of this node has reported any (the sizes are then checked against the plan’s own hints, and the agent checks the real disks before it touches them).'),
    valid: z.boolean().describe('No errors: the plan validates (against the inventory, when there is one) and the capability is current.'),
    entries: z.array(ValidationEntry),
  })
  .describe('Whether the node’s next deploy would get a plan that fits it.')
  .register(protocolSchemas, { id: 'NodeValidation' });
export type NodeValidation = z.infer<typeof NodeValidation>;
