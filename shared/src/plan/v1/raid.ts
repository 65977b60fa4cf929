import { z } from 'zod';
import { FixedSize, Id, Keep, Ref } from './common';

export const RAID_LEVELS = [0, 1, 4, 5, 6, 10, 'linear'] as const;

export const Raid = z
  .strictObject({
    id: Id,
    name: z.string().optional().describe('Array name (`/dev/md/<name>`). Default: the id.'),
    level: z
      .union([z.literal(0), z.literal(1), z.literal(4), z.literal(5), z.literal(6), z.literal(10), z.literal('linear')])
      .describe('RAID level: 0, 1, 4, 5, 6, 10 or `linear`.'),
    metadata: z.enum(['0.90', '1.0', '1.1', '1.2']).optional().describe('Superblock format. Default `1.2`; use `1.0` for a mirrored ESP.'),
    members: z.array(Ref).min(1).describe('Member devices: partitions or whole disks (`table: none`).'),
    spares: z.array(Ref).optional().describe('Hot spares.'),
    chunk: FixedSize.optional().describe('Chunk size for levels 0, 4, 5, 6 and 10 (power of two, ≥ 4 KiB). Default: mdadm’s (512 KiB).'),
    keep: Keep.optional(),
  })
  .describe('An MD RAID array.');

export type RaidT = z.infer<typeof Raid>;
