import { loadConfig } from '../../../driver-service/src/config';

describe('configuration', () => {
  it('comes from ANVIL_* variables, validated, naming the variable on errors', () => {
    const c = loadConfig(undefined, { ANVIL_PUBLIC_URL: 'http://svc:9600', ANVIL_IRONIC_URL: 'http://ironic:6385', ANVIL_LISTEN_PORT: '9700' });
    expect(c).toMatchObject({ listen_port: 9700, listen_host: '127.0.0.1', auth: 'noauth' });
    expect(() => loadConfig(undefined, { ANVIL_IRONIC_URL: 'http://ironic:6385' })).toThrow(/public_url \(ANVIL_PUBLIC_URL\)/);
  });
});
