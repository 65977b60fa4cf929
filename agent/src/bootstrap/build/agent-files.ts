import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AnvilError } from '@anvil/shared';
import type * as Bundle from '../../build/bundle';

/** Where the agent lives in the image. */
/**
 * The V8 flags the agent runs with, in the image as in agent/bin's shebangs (a test holds them equal): a 1 MiB
 * young generation (dead 64 KiB network buffers are collected early instead of piling up to V8's external-memory
 * limit) and one GC thread (on a 2-core node the helper threads took CPU from the image pipeline; docs/agent.md).
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded-gc'] as const;

export const IMAGE_PATHS = {
  node: '/usr/local/bin/node',
  bundle: '/opt/anvil/anvil.cjs',
  agent: '/usr/local/bin/anvil-agent',
  anvil: '/usr/local/bin/anvil',
  unit: '/etc/systemd/system/anvil-agent.service',
  standaloneUnit: '/etc/systemd/system/anvil-standalone.service',
  network: '/etc/systemd/network/80-anvil-dhcp.network',
  caDir: '/usr/local/share/ca-certificates/anvil',
  caBundle: '/etc/anvil/ca-bundle.pem',
  sshKeygenUnit: '/etc/systemd/system/anvil-ssh-hostkeys.service',
  buildInfo: '/etc/anvil/bootstrap-build.json',
} as const;

/** The agent needs Node.js >= 20.11 (package.json's engines); Debian bookworm's nodejs is 18. */
export function checkNodeVersion(version: string): void {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const ok = m !== null && (Number(m[1]) > 20 || (Number(m[1]) === 20 && Number(m[2]) >= 11));
  if (!ok) throw new AnvilError('bootstrap.node_unsuitable', `the Node.js runtime copied into the image is ${version}; the agent needs 20.11 or newer: run the build with that node`);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The systemd unit: the agent as the deploy ramdisk, everything from /proc/cmdline (ipa-api-url, BOOTIF, …).
 * It starts once networkd runs and finds the boot interface's address itself (waiting for the lease); it is
 * restarted if it dies, and its log goes to the console too (console=ttyS0 shows it). A boot with `anvil.plan=`
 * is standalone (the unit below) and starts no agent.
 */
export function agentUnit(withCa: boolean): string {
  return `[Unit]
Description=Anvil deploy agent (Ironic ramdisk protocol: lookup, heartbeat, /v1/commands)
Documentation=https://docs.openstack.org/ironic/latest/
Wants=systemd-networkd.service systemd-udev-settle.service
After=systemd-networkd.service systemd-udevd.service systemd-udev-trigger.service
ConditionKernelCommandLine=!anvil.plan

[Service]
Type=simple
${withCa ? `Environment=NODE_EXTRA_CA_CERTS=${IMAGE_PATHS.caBundle}\n` : ''}ExecStart=${IMAGE_PATHS.agent} --log-file /var/log/anvil-agent.log
Restart=on-failure
RestartSec=3
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/**
 * Standalone provisioning (agent/src/ramdisk/standalone.ts): on a boot whose command line has `anvil.plan=URL`,
 * `anvil standalone` provisions that plan once, its events as JSON lines on the console, then does `anvil.after=`.
 */
export function standaloneUnit(withCa: boolean): string {
  return `[Unit]
Description=Anvil standalone provisioning (the plan of anvil.plan= on the kernel command line, without Ironic)
Wants=systemd-networkd.service systemd-udev-settle.service
After=systemd-networkd.service systemd-udevd.service systemd-udev-trigger.service
ConditionKernelCommandLine=anvil.plan

[Service]
Type=oneshot
${withCa ? `Environment=NODE_EXTRA_CA_CERTS=${IMAGE_PATHS.caBundle}\n` : ''}ExecStart=${IMAGE_PATHS.anvil} standalone --log-file /var/log/anvil-standalone.log
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/** DHCP (v4 and v6/RA) on every wired NIC; the agent picks BOOTIF's address, or any, itself. */
export const NETWORK_UNIT = `[Match]
Name=en* eth*

[Network]
DHCP=yes
IPv6AcceptRA=yes
LinkLocalAddressing=ipv6

[DHCPv4]
ClientIdentifier=mac
UseDomains=yes
`;

/** Host keys made at first boot (never shared by every node booting the image). */
export const SSH_KEYGEN_UNIT = `[Unit]
Description=SSH host keys for this boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
`;

export interface StagedAgent {
  readonly nodeVersion: string;
  readonly nodeSha256: string;
  readonly bundleSha256: string;
  readonly units: string[];
}

/**
 * Writes the files the image gets on top of its packages into `stage` (copied over the root by an mmdebstrap
 * hook): this host's node (pinned: its version and sha256 go into metadata.yaml), the agent bundle, the
 * `anvil`/`anvil-agent` commands, the unit, networkd's DHCP config, CA certificates and root's SSH keys.
 */
export function stageAgentFiles(stage: string, o: { nodePath: string; nodeVersion: string; caCerts: readonly string[]; sshKeys?: string | undefined; bundle?: string }): StagedAgent {
  checkNodeVersion(o.nodeVersion);
  const at = (p: string): string => {
    const full = join(stage, p);
    mkdirSync(dirname(full), { recursive: true });
    return full;
  };
  copyFileSync(o.nodePath, at(IMAGE_PATHS.node));
  chmodSync(at(IMAGE_PATHS.node), 0o755);
  if (o.bundle) copyFileSync(o.bundle, at(IMAGE_PATHS.bundle));
  else {
    // Loaded only here: the agent bundle itself carries this module (the CLI), and esbuild is external to it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../../build/bundle') as typeof Bundle).bundleAgent(at(IMAGE_PATHS.bundle));
  }
  writeFileSync(at(IMAGE_PATHS.agent), `#!/bin/sh\nexec ${IMAGE_PATHS.node} ${AGENT_NODE_FLAGS.join(' ')} ${IMAGE_PATHS.bundle} agent "$@"\n`, { mode: 0o755 });
  writeFileSync(at(IMAGE_PATHS.anvil), `#!/bin/sh\nexec ${IMAGE_PATHS.node} ${AGENT_NODE_FLAGS.join(' ')} ${IMAGE_PATHS.bundle} "$@"\n`, { mode: 0o755 });
  writeFileSync(at(IMAGE_PATHS.unit), agentUnit(o.caCerts.length > 0));
  writeFileSync(at(IMAGE_PATHS.standaloneUnit), standaloneUnit(o.caCerts.length > 0));
  writeFileSync(at(IMAGE_PATHS.network), NETWORK_UNIT);
  const units = ['anvil-agent.service', 'anvil-standalone.service', 'systemd-networkd.service'];
  if (o.caCerts.length) {
    const pems = o.caCerts.map((f) => readFileSync(f, 'utf8'));
    pems.forEach((pem, i) => {
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new AnvilError('bootstrap.bad_option', `--ca-cert ${o.caCerts[i]}: not a PEM certificate`);
      writeFileSync(at(`${IMAGE_PATHS.caDir}/${i}-${basename(o.caCerts[i]!).replace(/\.(pem|crt)$/, '')}.crt`), pem);
    });
    writeFileSync(at(IMAGE_PATHS.caBundle), pems.join('\n'));
  }
  if (o.sshKeys) {
    const keys = readFileSync(o.sshKeys, 'utf8');
    mkdirSync(at('/root/.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(at('/root/.ssh/authorized_keys'), keys, { mode: 0o600 });
    writeFileSync(at(IMAGE_PATHS.sshKeygenUnit), SSH_KEYGEN_UNIT);
    units.push('anvil-ssh-hostkeys.service');
  }
  return { nodeVersion: o.nodeVersion, nodeSha256: sha256File(o.nodePath), bundleSha256: sha256File(join(stage, IMAGE_PATHS.bundle)), units };
}
