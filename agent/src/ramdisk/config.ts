import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnvilError } from '@anvil/shared';
import { BOOTSTRAP_KOPT, isBootstrapUuid } from '@anvil/shared/bootstrap';

/** Splits a kernel command line into `key=value` pairs (double-quoted values may hold spaces). */
export function parseCmdline(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=]+)(?:=("[^"]*"|\S*))?/g;
  for (const m of text.matchAll(re)) {
    const key = m[1]!;
    const raw = m[2] ?? '';
    out.set(key, raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
  }
  return out;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** BOOTIF as pxelinux writes it (`01-52-54-00-12-34-56`) or as iPXE does (`52:54:00:12:34:56`). */
export function normalizeMac(value: string): string | undefined {
  let v = value.trim().toLowerCase().replace(/-/g, ':');
  if (/^01:([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(v)) v = v.slice(3);
  return MAC.test(v) ? v : undefined;
}

const truthy = (v: string | undefined): boolean => v !== undefined && ['', '1', 'true', 'yes', 'on'].includes(v.toLowerCase());

export const AgentConfig = z.strictObject({
  apiUrl: z.url({ protocol: /^https?$/ }).describe('ipa-api-url: the Ironic API the agent looks itself up in.'),
  bootif: z.string().regex(MAC).optional().describe('BOOTIF: the MAC the node booted from.'),
  macs: z.array(z.string().regex(MAC)).describe('Addresses sent to lookup (BOOTIF first).'),
  nodeUuid: z.uuid().optional().describe('Look up by node UUID as well (anvil.node_uuid).'),
  token: z.string().min(32).optional().describe('ipa-agent-token: a pre-generated agent token.'),
  globalRequestId: z.string().optional(),
  debug: z.boolean(),
  listenHost: z.string(),
  listenPort: z.number().int().min(1).max(65535),
  advertiseHost: z.string().optional().describe('The address the conductor reaches the agent at; default: BOOTIF’s address.'),
  advertisePort: z.number().int().min(1).max(65535).optional().describe('The port the conductor reaches the agent at, where a NAT maps it (anvil.advertise_port); default: listenPort.'),
  lookupTimeoutS: z.number().positive(),
  addressWaitS: z.number().positive(),
  stateDir: z.string(),
  targetRoot: z.string(),
  firmware: z.enum(['bios', 'uefi']).optional(),
  includeLoop: z.boolean(),
  onlyDisks: z.array(z.string()).optional(),
  /** Power off the machine on standby.power_off (true inside a ramdisk), or just end the daemon. */
  powerOff: z.boolean(),
  logFile: z.string().optional(),
  // Checked with the store's own uuid pattern before (a malformed one is dropped, never a reason not to start).
  inspectionCallbackUrl: z.url({ protocol: /^https?$/ }).optional().describe('ipa-inspection-callback-url: ironic-inspector\'s /v1/continue, where the inventory goes before lookup.'),
  bootstrapUuid: z.string().optional().describe('anvil.bootstrap: the bootstrap image of the store this ramdisk is (set by the driver-service on activation; reported with progress).'),
});
export type AgentConfigT = z.infer<typeof AgentConfig>;

/** Flags given on the command line; they win over the kernel command line. */
export interface AgentFlags {
  readonly cmdline?: string;
  readonly apiUrl?: string;
  readonly mac?: string;
  readonly nodeUuid?: string;
  readonly token?: string;
  readonly listenHost?: string;
  readonly listenPort?: string;
  readonly advertiseHost?: string;
  readonly advertisePort?: string;
  readonly lookupTimeout?: string;
  readonly stateDir?: string;
  readonly targetRoot?: string;
  readonly firmware?: string;
  readonly includeLoop?: boolean;
  readonly onlyDisks?: string;
  readonly powerOff?: boolean;
  readonly logFile?: string;
  readonly inspectionCallbackUrl?: string;
}

/** Whether this process runs in a ramdisk: the root filesystem is rootfs, tmpfs or ramfs, or live-boot's overlay. */
export function inRamdisk(mounts = '/proc/mounts'): boolean {
  try {
    const root = readFileSync(mounts, 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[1] === '/')
      .at(-1);
    // live-boot's root (a bootstrap image's `live` format): an overlay on tmpfs over the fetched squashfs
    return root !== undefined && (['rootfs', 'tmpfs', 'ramfs'].includes(root[2] ?? '') || (root[2] === 'overlay' && existsSync('/run/live')));
  } catch {
    return false;
  }
}

/**
 * The agent's configuration from the kernel command line (`/proc/cmdline`, or `flags.cmdline`) and flags:
 * `ipa-api-url`, `BOOTIF`, `ipa-agent-token`, `ipa-global-request-id`, `ipa-debug` and `anvil.*`
 * (`anvil.listen_port`, `anvil.advertise_host`, `anvil.advertise_port`, `anvil.lookup_timeout`, `anvil.node_uuid`, `anvil.macs`, `anvil.bootstrap`:
 * a value that is not a uuid is ignored, it only labels reports).
 */
export function loadAgentConfig(flags: AgentFlags, readText: (path: string) => string = (p) => readFileSync(p, 'utf8')): AgentConfigT {
  let text = '';
  try {
    text = readText(flags.cmdline ?? '/proc/cmdline');
  } catch {
    if (flags.cmdline) throw new AnvilError('agent.cmdline_unreadable', `cannot read the kernel command line from ${flags.cmdline}`);
  }
  const k = parseCmdline(text);
  const bootifRaw = flags.mac?.split(',')[0] ?? k.get('BOOTIF');
  const bootif = bootifRaw === undefined ? undefined : normalizeMac(bootifRaw);
  if (bootifRaw !== undefined && bootif === undefined) throw new AnvilError('agent.bad_bootif', `BOOTIF=${bootifRaw} is not a MAC address`);
  const extraMacs = [...(flags.mac?.split(',').slice(1) ?? []), ...(k.get('anvil.macs')?.split(',') ?? [])].map((m) => normalizeMac(m)).filter((m): m is string => m !== undefined);
  const apiUrl = flags.apiUrl ?? k.get('ipa-api-url');
  if (!apiUrl) throw new AnvilError('agent.no_api_url', 'no Ironic API URL: the kernel command line has no ipa-api-url= (Ironic adds it when it boots the ramdisk) and --api-url was not given');
  const num = (v: string | undefined, d: number): number => (v === undefined || v === '' ? d : Number(v));
  const ramdisk = inRamdisk();
  const bootstrapUuid = k.get(BOOTSTRAP_KOPT)?.toLowerCase();
  const parsed = AgentConfig.safeParse({
    apiUrl: apiUrl.split(',')[0],
    ...(bootif ? { bootif } : {}),
    macs: [...new Set([...(bootif ? [bootif] : []), ...extraMacs])],
    ...((flags.nodeUuid ?? k.get('anvil.node_uuid')) ? { nodeUuid: flags.nodeUuid ?? k.get('anvil.node_uuid') } : {}),
    ...((flags.token ?? k.get('ipa-agent-token')) ? { token: flags.token ?? k.get('ipa-agent-token') } : {}),
    ...(k.get('ipa-global-request-id') ? { globalRequestId: k.get('ipa-global-request-id') } : {}),
    debug: truthy(k.get('ipa-debug')) && k.has('ipa-debug'),
    listenHost: flags.listenHost ?? k.get('anvil.listen_host') ?? '::',
    listenPort: num(flags.listenPort ?? k.get('anvil.listen_port') ?? k.get('ipa-listen-port'), 9999),
    ...((flags.advertisePort ?? k.get('anvil.advertise_port') ?? k.get('ipa-advertise-port')) ? { advertisePort: num(flags.advertisePort ?? k.get('anvil.advertise_port') ?? k.get('ipa-advertise-port'), 9999) } : {}),
    ...((flags.advertiseHost ?? k.get('anvil.advertise_host') ?? k.get('ipa-advertise-host')) ? { advertiseHost: flags.advertiseHost ?? k.get('anvil.advertise_host') ?? k.get('ipa-advertise-host') } : {}),
    lookupTimeoutS: num(flags.lookupTimeout ?? k.get('anvil.lookup_timeout') ?? k.get('ipa-lookup-timeout'), 300),
    addressWaitS: num(k.get('anvil.address_wait'), 60),
    stateDir: flags.stateDir ?? k.get('anvil.state_dir') ?? '/run/anvil',
    targetRoot: flags.targetRoot ?? '/mnt/anvil',
    ...((flags.firmware ?? k.get('anvil.firmware')) ? { firmware: flags.firmware ?? k.get('anvil.firmware') } : {}),
    includeLoop: Boolean(flags.includeLoop),
    ...(flags.onlyDisks ? { onlyDisks: flags.onlyDisks.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    powerOff: flags.powerOff ?? ramdisk,
    ...(flags.logFile ? { logFile: flags.logFile } : {}),
    ...((flags.inspectionCallbackUrl ?? k.get('ipa-inspection-callback-url')) ? { inspectionCallbackUrl: flags.inspectionCallbackUrl ?? k.get('ipa-inspection-callback-url') } : {}),
    ...(bootstrapUuid !== undefined && isBootstrapUuid(bootstrapUuid) ? { bootstrapUuid } : {}),
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AnvilError('agent.bad_config', `agent configuration: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}
