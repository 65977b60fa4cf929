import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { AnvilError, type Logger } from '@anvil/shared';
import type { AgentConfigT } from './config';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** MACs of the machine's non-loopback interfaces, the BOOTIF one first. */
export function lookupAddresses(config: AgentConfigT, ifaces: Interfaces = networkInterfaces()): string[] {
  const found = new Set(config.macs);
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) if (!a.internal && a.mac !== '00:00:00:00:00:00') found.add(a.mac.toLowerCase());
  }
  return [...found];
}

/** A usable address of the interface with this MAC (IPv4 first, then a global IPv6). */
function addressOf(ifaces: Interfaces, mac: string | undefined): string | undefined {
  const candidates: NetworkInterfaceInfo[] = [];
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (mac && a.mac.toLowerCase() !== mac) continue;
      candidates.push(a);
    }
  }
  const v4 = candidates.find((a) => a.family === 'IPv4');
  const v6 = candidates.find((a) => a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80'));
  return (v4 ?? v6)?.address;
}

export function callbackUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Waits for DHCP (or RA) to give the interface with this MAC (any interface without one) a usable address,
 * checking once a second for `waitS` seconds.
 */
export async function waitForAddress(mac: string | undefined, waitS: number, log: Logger, read: () => Interfaces = networkInterfaces): Promise<string> {
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    const addr = addressOf(read(), mac);
    if (addr) return addr;
    if (Date.now() > deadline) {
      throw new AnvilError('agent.no_address', mac ? `the boot interface ${mac} got no IP address within ${waitS} s` : `no network interface got an IP address within ${waitS} s`);
    }
    log.info({ bootif: mac }, 'waiting for an address on the boot interface');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The callback URL the conductor reaches this agent at: the advertised host if configured, else the
 * address of the BOOTIF interface (or of any interface without BOOTIF), waiting for DHCP to give one.
 */
export async function chooseCallbackUrl(config: AgentConfigT, log: Logger, read: () => Interfaces = networkInterfaces): Promise<string> {
  const port = config.advertisePort ?? config.listenPort;
  if (config.advertiseHost) return callbackUrl(config.advertiseHost, port);
  return callbackUrl(await waitForAddress(config.bootif, config.addressWaitS, log, read), port);
}
