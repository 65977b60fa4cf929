import { loadAgentConfig, normalizeMac, parseCmdline } from '../../../../agent/src/ramdisk/config';

describe('kernel command line', () => {
  it('parses Ironic’s parameters, quoted values and flags', () => {
    const k = parseCmdline('nofb ipa-api-url=http://10.0.0.1:6385 BOOTIF=01-52-54-00-12-34-56 ipa-debug=1 anvil.note="a b" quiet');
    expect(k.get('ipa-api-url')).toBe('http://10.0.0.1:6385');
    expect(k.get('anvil.note')).toBe('a b');
    expect(k.has('quiet')).toBe(true);
  });

  it('normalises BOOTIF from pxelinux and iPXE forms', () => {
    expect(normalizeMac('01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    expect(normalizeMac('52:54:00:12:34:AB')).toBe('52:54:00:12:34:ab');
    expect(normalizeMac('nonsense')).toBeUndefined();
  });

  it('builds the configuration: cmdline first, flags win', () => {
    const text = 'ipa-api-url=http://10.0.0.1:6385 BOOTIF=01-52-54-00-12-34-56 ipa-agent-token=' + 'x'.repeat(43) + ' ipa-global-request-id=req-1 anvil.listen_port=9000';
    const c = loadAgentConfig({ cmdline: 'cmdline', listenPort: '9100' }, () => text);
    expect(c).toMatchObject({ apiUrl: 'http://10.0.0.1:6385', bootif: '52:54:00:12:34:56', macs: ['52:54:00:12:34:56'], token: 'x'.repeat(43), globalRequestId: 'req-1', listenPort: 9100, lookupTimeoutS: 300, stateDir: '/run/anvil' });
  });

  it('reads the bootstrap uuid it runs from (anvil.bootstrap=), ignoring one that is not a uuid', () => {
    const uuid = '0b7a6d9e-4c1f-4e0a-9b51-2f6d3c8a1e77';
    expect(loadAgentConfig({ cmdline: 'c' }, () => `ipa-api-url=http://10.0.0.1:6385 anvil.bootstrap=${uuid.toUpperCase()}`).bootstrapUuid).toBe(uuid);
    expect(loadAgentConfig({ cmdline: 'c' }, () => 'ipa-api-url=http://10.0.0.1:6385 anvil.bootstrap=latest').bootstrapUuid).toBeUndefined();
  });

  it('refuses to start without an API URL, with a clear code', () => {
    expect(() => loadAgentConfig({ cmdline: 'c' }, () => 'BOOTIF=52:54:00:12:34:56')).toThrow(expect.objectContaining({ code: 'agent.no_api_url' }));
    expect(() => loadAgentConfig({ cmdline: 'c' }, () => 'ipa-api-url=http://x BOOTIF=zz')).toThrow(expect.objectContaining({ code: 'agent.bad_bootif' }));
  });
});
