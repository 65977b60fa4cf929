import { z } from 'zod';
import { WipeMode } from './common';
import { Disk } from './disk';
import { Raid } from './raid';
import { VolumeGroup } from './lvm';
import { Filesystem } from './filesystem';
import { Image } from './image';
import { ConfigDrive } from './configdrive';
import { Bootloader } from './bootloader';

export const PLAN_VERSION = 1 as const;

export const Metadata = z
  .strictObject({
    node_uuid: z.uuid().optional().describe('The Ironic node this plan is for.'),
    deployment_id: z.string().optional().describe('Identifies one deployment (the driver-service sets it).'),
    name: z.string().optional().describe('Layout name.'),
    description: z.string().optional(),
  })
  .describe('Plan metadata.');

export const Policy = z
  .strictObject({
    data: z
      .enum(['clean', 'verify'])
      .optional()
      .describe(
        '`clean` (default): tear down and recreate everything the plan names. `verify`: the layout on disk must already match; only what is not kept is recreated.',
      ),
    wipe: WipeMode.optional().describe('Default `metadata` under `clean`, `none` under `verify`.'),
  })
  .describe('Data policy.');

export const PlanV1 = z
  .strictObject({
    version: z.literal(PLAN_VERSION).describe('Plan schema version.'),
    metadata: Metadata.optional(),
    policy: Policy.optional(),
    disks: z.array(Disk).min(1).describe('The disks the plan takes over, each chosen by a selector. Disks not listed are never touched.'),
    raids: z.array(Raid).optional().describe('MD RAID arrays over partitions or whole disks.'),
    volume_groups: z.array(VolumeGroup).optional().describe('LVM volume groups and their logical volumes.'),
    filesystems: z.array(Filesystem).optional().describe('Filesystems and swap, with their mounts.'),
    images: z.array(Image).optional().describe('Images to write: whole-disk, filesystem or tar.'),
    configdrive: ConfigDrive.optional(),
    bootloader: Bootloader.optional(),
  })
  .describe('An Anvil plan: the disks a server is given, and what is built on them.');

export type Plan = z.infer<typeof PlanV1>;
