import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AnvilError, parseChecksum } from '@anvil/shared';
import { Deployment } from '@anvil/shared/protocol';
import type { CliCloud } from './cli-cloud';
import type { IronicNodeT, JsonPatchOp } from '@anvil/shared/openstack';
import type { Io } from './plan-commands';
import { serviceRequest } from './service-client';

interface DeployFlags {
  ironicUrl?: string;
  image?: string;
  checksum?: string;
  diskFormat?: string;
  layout?: string;
  configdrive?: string;
  service?: string;
  wait?: boolean;
  timeout: string;
}

/** A config drive file as Ironic takes it: JSON stays an object; an ISO image is gzipped and base64-encoded. */
export async function configdriveFromFile(path: string): Promise<unknown> {
  const data = await readFile(path).catch(() => {
    throw new AnvilError('cli.read_failed', `cannot read the config drive ${path}`);
  });
  const text = data.toString('utf8').trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AnvilError('cli.bad_configdrive', `${path} looks like JSON but does not parse`);
    }
  }
  if (data.length > 0x8005 && data.subarray(0x8001, 0x8006).toString('latin1') === 'CD001') return gzipSync(data).toString('base64');
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return text.replace(/\s+/g, ''); // already gzip+base64
  throw new AnvilError('cli.bad_configdrive', `${path} is neither JSON, an ISO 9660 image, nor gzip+base64 text`);
}

function checksumFields(text: string): Record<string, string> {
  const c = parseChecksum(text);
  if (!c) throw new AnvilError('cli.bad_checksum', `--checksum takes sha256:<hex>, sha512:<hex> or md5:<hex> (of the right length), not ${text}`);
  return { image_os_hash_algo: c.algorithm, image_os_hash_value: c.value };
}

/** The deployment record as the service sends it (shared/src/protocol/deployment.ts). */
type DeploymentView = Deployment;

function progressLine(node: IronicNodeT, d: DeploymentView | undefined): string {
  const parts = [`${node.provision_state}${node.target_provision_state ? ` → ${node.target_provision_state}` : ''}`];
  if (d) {
    if (d.stage) parts.push(`step ${d.step ?? '?'}/${d.steps ?? '?'} ${d.stage}`);
    if (d.bytes !== null && d.bytes_total) {
      const pct = Math.floor((100 * d.bytes) / d.bytes_total);
      const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
      parts.push(`[${bar}] ${pct}% ${((d.rate_bps ?? 0) / 1048576).toFixed(1)} MiB/s${d.eta_seconds !== null ? ` ETA ${d.eta_seconds}s` : ''}`);
    }
  }
  return parts.join('  ');
}

/** `anvil deploy NODE`: instance_info from the flags, the node to active through Ironic, and (with --wait) progress until it is there. */
export function registerDeployCommand(program: Command, io: Io, setExit: (code: number) => void, cloud: CliCloud): void {
  program
    .command('deploy <node>')
    .description('deploy a node through Ironic: set instance_info, move it to active, and follow it')
    .option('--ironic-url <url>', 'the Ironic API (default: the baremetal endpoint of the cloud’s catalog)', process.env.ANVIL_IRONIC_URL)
    .option('--image <url>', 'instance_info.image_source: an http(s) URL')
    .option('--checksum <algo:hex>', 'the image checksum (sha256:…, sha512:…, md5:…)')
    .option('--disk-format <format>', 'instance_info.image_disk_format (raw, qcow2)')
    .option('--layout <name>', 'instance_info.anvil_layout: the driver-service layout to use')
    .option('--configdrive <file>', 'a config drive: JSON (meta_data, user_data, network_data, vendor_data) or an ISO 9660 image')
    .option('--service <url>', 'the Anvil driver-service, for stage and byte progress while waiting', process.env.ANVIL_SERVICE_URL)
    .option('--wait', 'wait until the node is active (or failed), showing progress')
    .option('--timeout <seconds>', 'give up waiting after this long', '3600')
    .action(async (nodeIdent: string, f: DeployFlags) => {
      const ironic = await cloud.ironic(f.ironicUrl);
      const node = await ironic.getNode(nodeIdent);
      const ops: JsonPatchOp[] = [];
      const set = (key: string, value: unknown): void => void ops.push({ op: 'add', path: `/instance_info/${key}`, value });
      if (f.image) set('image_source', f.image);
      if (f.checksum) for (const [k, v] of Object.entries(checksumFields(f.checksum))) set(k, v);
      if (f.diskFormat) set('image_disk_format', f.diskFormat);
      if (f.layout) set('anvil_layout', f.layout);
      if (ops.length) await ironic.patchNode(node.uuid, ops);
      const configdrive = f.configdrive ? await configdriveFromFile(f.configdrive) : undefined;
      await ironic.setProvisionState(node.uuid, 'active', configdrive !== undefined ? { configdrive } : {});
      io.err(`anvil deploy: ${node.name ?? node.uuid} is being deployed`);
      if (!f.wait) {
        setExit(0);
        return;
      }
      let last = '';
      const show = async (n: IronicNodeT): Promise<void> => {
        let d: DeploymentView | undefined;
        if (f.service) {
          // No retries: the loop asks again every second.
          const res = await serviceRequest(cloud.service(f.service), 'GET', `/v1/deployments/${encodeURIComponent(n.uuid)}`, undefined, 0).catch(() => undefined);
          // A service that answers something else shows no progress; the deploy is followed through Ironic anyway.
          const parsed = res?.status === 200 ? Deployment.safeParse(res.data) : undefined;
          if (parsed?.success) d = parsed.data;
        }
        const line = progressLine(n, d);
        if (line !== last) io.err(line);
        last = line;
      };
      try {
        let current = node;
        const deadline = Date.now() + Number(f.timeout) * 1000;
        for (;;) {
          current = await ironic.getNode(node.uuid);
          await show(current);
          if (current.provision_state === 'active' && !current.target_provision_state) break;
          if (current.provision_state === 'deploy failed') throw new AnvilError('deploy.failed', `the deploy failed: ${current.last_error ?? 'Ironic recorded no error'}`);
          if (Date.now() > deadline) throw new AnvilError('deploy.timeout', `the node is still ${current.provision_state} after ${f.timeout} s`);
          await new Promise((r) => setTimeout(r, 1000));
        }
        io.out(`${current.name ?? current.uuid}: active`);
        setExit(0);
      } catch (err) {
        if (!(err instanceof AnvilError)) throw err;
        io.err(`anvil deploy: ${err.message} [${err.code}]`);
        setExit(1);
      }
    });
}
