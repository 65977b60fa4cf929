import { z } from 'zod';
import { protocolSchemas } from './registry';

export const DEPLOYMENT_STATES = ['planned', 'running', 'succeeded', 'failed'] as const;

/**
 * A deployment: one deploy of a node as the driver-service records it from the agent's progress. The
 * same record is the store's row, the API's response, the data of each server-sent event and what
 * `anvil deploy --wait` reads.
 */
export const Deployment = z
  .object({
    id: z.string(),
    node_uuid: z.string(),
    layout: z.string().nullable(),
    state: z.enum(DEPLOYMENT_STATES),
    stage: z.string().nullable().describe('The action running, e.g. `write_image image`.'),
    step: z.number().int().nullable(),
    steps: z.number().int().nullable(),
    bytes: z.number().int().nullable(),
    bytes_total: z.number().int().nullable(),
    rate_bps: z.number().int().nullable(),
    eta_seconds: z.number().int().nullable(),
    error: z.string().nullable(),
    bootstrap_uuid: z.string().nullable().describe('The bootstrap image the agent reported running from (`anvil.bootstrap=`), or null.'),
    started_at: z.string().meta({ format: 'date-time' }),
    updated_at: z.string().meta({ format: 'date-time' }),
    closed_at: z.string().nullable().meta({ format: 'date-time', description: 'When Ironic showed the deploy over and the capability was rotated.' }),
  })
  .describe('One deploy of a node.')
  .register(protocolSchemas, { id: 'Deployment' });
export type Deployment = z.infer<typeof Deployment>;

/** The name of the server-sent event that carries a Deployment. */
export const DEPLOYMENT_EVENT = 'deployment';
