import { z } from 'zod';
import { FixedSize, Id, Keep, Ref, Size } from './common';

export const LogicalVolume = z
  .strictObject({
    id: Id,
    name: z.string().describe('LV name.'),
    size: Size.describe('Size: bytes/units, a percentage of the VG (of the pool for `thin`), or `remaining`. For `thin` volumes it is the virtual size.'),
    type: z.enum(['linear', 'thin-pool', 'thin']).optional().describe('Default `linear`.'),
    pool: Ref.optional().describe('For `thin`: the id of the thin pool of the same VG.'),
    keep: Keep.optional(),
  })
  .describe('A logical volume.');

export const VolumeGroup = z
  .strictObject({
    id: Id,
    name: z.string().describe('VG name.'),
    pvs: z.array(Ref).min(1).describe('Physical volumes: partitions, arrays or whole disks.'),
    extent_size: FixedSize.optional().describe('Physical extent size. Default 4 MiB.'),
    pv_metadata_size: FixedSize.optional().describe('Metadata area per PV (pvcreate --metadatasize). Default: lvm’s (data starts at 1 MiB).'),
    logical_volumes: z.array(LogicalVolume).optional().describe('Logical volumes: linear, thin pools and thin volumes.'),
    keep: Keep.optional(),
  })
  .describe('An LVM volume group.');

export type LogicalVolumeT = z.infer<typeof LogicalVolume>;
export type VolumeGroupT = z.infer<typeof VolumeGroup>;
