import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnvilError, decodeConfigdriveString, type ConfigDriveT, type Logger } from '@anvil/shared';
import type { Runner } from '../system/runner';
import { httpBytes } from '../image/http-source';

export const CONFIG_LABEL = 'config-2';

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
function decodeFetched(buf: Buffer): Buffer {
  const text = buf.toString('latin1').trim();
  const decoded = decodeConfigdriveString(text);
  if (decoded) return decoded;
  if (buf[0] === 0x1f && buf[1] === 0x8b) return gunzipSync(buf);
  if (isIso9660(buf)) return buf;
  throw new AnvilError('configdrive.invalid_encoding', 'the config drive at the URL is neither base64+gzip, gzip, nor an ISO 9660 image');
}

/**
 * Produces the config drive image (bytes) from any of Ironic's forms: gzip+base64 ISO, URL, or JSON
 * (built here as ISO 9660 with xorriso, or vfat with mkfs.vfat + mcopy, labelled config-2).
 */
export async function buildConfigdrive(cd: ConfigDriveT, nodeUuid: string | undefined, runner: Runner, log: Logger, maxBytes: number): Promise<Buffer> {
  if (typeof cd.source === 'string') {
    const s = cd.source.trim();
    if (/^https?:\/\//i.test(s)) {
      const parts: Buffer[] = [];
      let len = 0;
      for await (const chunk of httpBytes(s, { log })) {
        len += chunk.length;
        if (len > maxBytes * 2) throw new AnvilError('configdrive.too_large', `the config drive at ${s.replace(/\?.*$/, '')} is larger than its partition`);
        parts.push(chunk);
      }
      return decodeFetched(Buffer.concat(parts));
    }
    const iso = decodeConfigdriveString(s);
    if (!iso) throw new AnvilError('configdrive.invalid_encoding', 'the config drive string is not base64 of a gzip-compressed image');
    return iso;
  }
  const work = await mkdtemp(join(tmpdir(), 'anvil-cd-'));
  try {
    const tree = join(work, 'tree');
    await writeConfigTree(tree, cd.source, nodeUuid);
    const out = join(work, 'configdrive.img');
    if ((cd.format ?? 'iso9660') === 'iso9660') {
      await runner.run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', out, '-V', CONFIG_LABEL, '-J', '-r', '-input-charset', 'utf-8', tree]);
    } else {
      const size = Math.min(maxBytes, 64 << 20);
      await writeFile(out, '');
      await runner.run(['truncate', '-s', String(size), out]);
      await runner.run(['mkfs.vfat', '-n', CONFIG_LABEL.toUpperCase(), out]);
      await runner.run(['mcopy', '-s', '-i', out, join(tree, 'openstack'), '::']);
    }
    const st = await stat(out);
    if (st.size > maxBytes) throw new AnvilError('configdrive.too_large', `the config drive image is ${st.size} bytes; its partition holds ${maxBytes}`);
    log.info({ bytes: st.size, format: cd.format ?? 'iso9660' }, 'config drive built');
    return await readFile(out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
