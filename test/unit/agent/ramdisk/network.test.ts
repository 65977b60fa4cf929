import type { NetworkInterfaceInfo } from 'node:os';
import { loadAgentConfig } from '../../../../agent/src/ramdisk/config';
import { nextInterval } from '../../../../agent/src/ramdisk/heartbeat';
import { callbackUrl, lookupAddresses } from '../../../../agent/src/ramdisk/network';

describe('network', () => {
  it('looks up by BOOTIF first, then every interface, and brackets IPv6 callback hosts', () => {
    const c = loadAgentConfig({ cmdline: 'c', mac: '52:54:00:00:00:01' }, () => 'ipa-api-url=http://x:6385');
    const ifaces = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null }], eth1: [{ address: '10.1.1.5', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:02', internal: false, cidr: null }] } as const;
    expect(lookupAddresses(c, ifaces as unknown as NodeJS.Dict<NetworkInterfaceInfo[]>)).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:02']);
    expect(callbackUrl('fd00::5', 9999)).toBe('http://[fd00::5]:9999');
    expect(callbackUrl('10.0.0.5', 9999)).toBe('http://10.0.0.5:9999');
  });

  it('heartbeats at 0.3–0.6 × heartbeat_timeout', () => {
    expect(nextInterval(300, () => 0)).toBe(90_000);
    expect(nextInterval(300, () => 1)).toBe(180_000);
  });
});
