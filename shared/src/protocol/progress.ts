import { z } from 'zod';
import { Inventory } from '../inventory/schema';
import { protocolSchemas } from './registry';

/*
 * The agent's progress events, as the agent emits them and the driver-service accepts them over HTTP.
 * One schema for both ends and for the OpenAPI document (generated from it). Field names are snake_case
 * on the wire, as Ironic's own API is. Unknown fields are stripped, not refused: a newer agent may add
 * some and an older service must still record what it knows.
 */

const ErrorInfo = z.object({ code: z.string().describe('Anvil’s stable error code.'), message: z.string() });

const stage = { type: z.literal('stage'), seq: z.number().int().nonnegative().describe('1-based number of the action.'), total: z.number().int().nonnegative().describe('How many actions the plan has.'), kind: z.string().describe('The action’s kind, e.g. `write_image`.'), id: z.string().describe('The plan id the action works on.') };

export const StageStartEvent = z.object({ ...stage, status: z.literal('start') }).describe('An action started.');

export const StageEndEvent = z
  .object({
    ...stage,
    status: z.literal('end'),
    result: z.enum(['ok', 'skipped', 'failed']),
    duration_ms: z.number().nonnegative(),
    error: ErrorInfo.optional(),
  })
  .describe('An action ended (`skipped`: already done by an earlier, resumed run).');

export const ByteProgressEvent = z
  .object({
    type: z.literal('progress'),
    seq: z.number().int().nonnegative().describe('The action writing the bytes.'),
    id: z.string(),
    bytes: z.number().int().nonnegative().describe('Bytes written so far.'),
    total: z.number().int().nonnegative().optional().describe('Bytes to write, when known.'),
    rate_bps: z.number().nonnegative().describe('Smoothed rate, bytes per second.'),
    eta_seconds: z.number().nonnegative().optional(),
  })
  .describe('Bytes written by an image action.');

export const DoneEvent = z
  .object({ type: z.literal('done'), result: z.enum(['ok', 'failed']), duration_ms: z.number().nonnegative(), error: ErrorInfo.optional() })
  .describe('The whole run ended.');

export const ProgressEvent = z
  .discriminatedUnion('type', [z.discriminatedUnion('status', [StageStartEvent, StageEndEvent]), ByteProgressEvent, DoneEvent])
  .describe('One progress event of the agent.')
  .register(protocolSchemas, { id: 'ProgressEvent' });
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** At most this many events in one report (the agent batches byte progress, so a report is small). */
export const PROGRESS_BATCH_MAX = 1000;

/** The body the agent posts to the progress route. */
export const ProgressReport = z.strictObject({
  events: z.array(ProgressEvent).max(PROGRESS_BATCH_MAX),
  bootstrap_uuid: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    .optional().describe('The bootstrap image the agent runs from (`anvil.bootstrap=` on its kernel command line), when it booted from one of the store.'),
  inventory: Inventory.optional().describe('The disks the agent sees, sent once per deploy step in a report of its own before the plan is validated: the service checks layouts against them (`GET /v1/nodes/{node}/validation`).'),
}).describe('A batch of progress events, oldest first.').register(protocolSchemas, { id: 'ProgressReport' });
export type ProgressReport = z.infer<typeof ProgressReport>;
