import { mkdir, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { AnvilError, CONFIG_LABEL, decodeConfigdriveString, type ConfigDriveT } from '@anvil/shared';

export { CONFIG_LABEL };

type ConfigData = Exclude<ConfigDriveT['source'], string>;

/** ISO 9660 images carry "CD001" at byte 32769. */
export function isIso9660(buf: Buffer): boolean {
  return buf.length > 32774 && buf.subarray(32769, 32774).toString('latin1') === 'CD001';
}

/** The config drive tree Ironic and cloud-init agree on: openstack/latest/… */
export async function writeConfigTree(dir: string, data: ConfigData, nodeUuid: string | undefined): Promise<void> {
  const latest = join(dir, 'openstack', 'latest');
  await mkdir(latest, { recursive: true });
  const meta: Record<string, unknown> = { ...(data.meta_data ?? {}) };
  if (meta.uuid === undefined && nodeUuid) meta.uuid = nodeUuid;
  await writeFile(join(latest, 'meta_data.json'), JSON.stringify(meta));
  if (data.user_data !== undefined) {
    await writeFile(join(latest, 'user_data'), typeof data.user_data === 'string' ? data.user_data : JSON.stringify(data.user_data));
  }
  if (data.network_data !== undefined) await writeFile(join(latest, 'network_data.json'), JSON.stringify(data.network_data));
  if (data.vendor_data !== undefined) await writeFile(join(latest, 'vendor_data.json'), JSON.stringify(data.vendor_data));
}

/** Content fetched from a config drive URL: base64+gzip text, gzip, or a bare ISO. */
export function decodeFetched(buf: Buffer): Buffer {
  const text = buf.toString('latin1').trim();
  const decoded = decodeConfigdriveString(text);
  if (decoded) return decoded;
  if (buf[0] === 0x1f && buf[1] === 0x8b) return gunzipSync(buf);
  if (isIso9660(buf)) return buf;
  throw new AnvilError('configdrive.invalid_encoding', 'the config drive at the URL is neither base64+gzip, gzip, nor an ISO 9660 image');
}
