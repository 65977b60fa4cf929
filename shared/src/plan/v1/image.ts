import { z } from 'zod';
import { Id, Ref } from './common';

export const GlanceSource = z
  .strictObject({
    image_id: z.string().min(1).describe('Glance image UUID.'),
    endpoint: z.string().optional().describe('Glance endpoint (`https://glance:9292`). Default: the driver-service tells.'),
    token: z.string().optional().describe('A Keystone token handed in for this deploy. Never logged.'),
    application_credential: z
      .strictObject({
        auth_url: z.string().describe('Keystone v3 URL the agent exchanges the credential at.'),
        id: z.string().min(1),
        secret: z.string().min(1).describe('Never logged.'),
      })
      .optional()
      .describe('A Keystone application credential for this deploy: the driver-service creates one that may only download this image and expires with the deploy window.'),
  })
  .describe('An image stored in Glance, downloaded from `/v2/images/{id}/file`.');

export const ImageSource = z
  .strictObject({
    url: z.string().optional().describe('An http or https URL.'),
    file: z.string().optional().describe('An absolute path on the machine running the agent.'),
    glance: GlanceSource.optional(),
    headers: z.record(z.string(), z.string()).optional().describe('Extra HTTP headers (values are never logged).'),
  })
  .describe('Exactly one of `url`, `file` or `glance`.');

export const Image = z
  .strictObject({
    id: Id,
    source: ImageSource,
    checksum: z
      .string()
      .optional()
      .describe('`sha256:<hex>`, `sha512:<hex>`, or `md5:<hex>` (only with `allow_md5`). Verified while streaming.'),
    allow_md5: z.boolean().optional().describe('Accept an md5 checksum (legacy images only).'),
    format: z
      .enum(['raw', 'qcow2', 'filesystem', 'tar'])
      .optional()
      .describe('`raw`/`qcow2`: a whole-disk image; `filesystem`: a filesystem image for one device; `tar`: a tree. Default `raw`.'),
    compression: z.enum(['auto', 'gzip', 'xz', 'zstd', 'bzip2', 'none']).optional().describe('Default `auto` (sniffed from magic bytes).'),
    target: z
      .strictObject({
        disk: Ref.optional().describe('For `raw`/`qcow2`: the disk.'),
        device: Ref.optional().describe('For `filesystem`: a partition, array or LV.'),
        path: z.string().optional().describe('For `tar`: a mount path of the deployed system.'),
      })
      .describe('Exactly one of `disk`, `device` or `path`, as the format needs.'),
  })
  .describe('An image to write.');

export type ImageT = z.infer<typeof Image>;
