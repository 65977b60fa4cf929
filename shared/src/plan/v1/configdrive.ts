import { z } from 'zod';
import { FixedSize, Ref } from './common';

export const ConfigDriveData = z
  .strictObject({
    meta_data: z.record(z.string(), z.unknown()).optional().describe('`openstack/latest/meta_data.json`.'),
    user_data: z
      .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
      .optional()
      .describe('`openstack/latest/user_data` (a string is written as is; JSON otherwise).'),
    network_data: z.record(z.string(), z.unknown()).optional().describe('`openstack/latest/network_data.json`.'),
    vendor_data: z.record(z.string(), z.unknown()).optional().describe('`openstack/latest/vendor_data.json`.'),
  })
  .describe('The JSON form Ironic accepts; Anvil builds the image from it.');

export const ConfigDrive = z
  .strictObject({
    source: z
      .union([z.string(), ConfigDriveData])
      .describe('As Ironic takes it: a gzip+base64 ISO 9660 image, an http(s) URL to one, or a JSON object.'),
    disk: Ref.describe('The disk whose end receives the config drive partition.'),
    format: z.enum(['iso9660', 'vfat']).optional().describe('Filesystem built from the JSON form. Default `iso9660`.'),
    size: FixedSize.optional().describe('Partition size, at most 64 MiB. Default 64 MiB.'),
  })
  .describe('The config drive (label `config-2`), written to a partition at the end of a disk.');

export type ConfigDriveT = z.infer<typeof ConfigDrive>;
