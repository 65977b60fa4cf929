import { loadConfig } from '../../../driver-service/src/config';

describe('configuration', () => {
  it('comes from ANVIL_* variables, validated, naming the variable on errors', () => {
    const c = loadConfig(undefined, { ANVIL_PUBLIC_URL: 'http://svc:9600', ANVIL_IRONIC_URL: 'http://ironic:6385', ANVIL_LISTEN_PORT: '9700' });
    expect(c).toMatchObject({ listen_port: 9700, listen_host: '127.0.0.1', auth: 'noauth' });
    expect(() => loadConfig(undefined, { ANVIL_IRONIC_URL: 'http://ironic:6385' })).toThrow(/public_url \(ANVIL_PUBLIC_URL\)/);
  });
});

describe('workers and the progress writer', () => {
  const base = { ANVIL_PUBLIC_URL: 'http://svc:9600', ANVIL_IRONIC_URL: 'http://ironic:6385' };
  it('workers default to one process; ANVIL_WORKERS sets them, validated', () => {
    expect(loadConfig(undefined, base)).toMatchObject({ workers: 1, progress_flush_ms: 100 });
    expect(loadConfig(undefined, { ...base, ANVIL_WORKERS: '3', ANVIL_PROGRESS_FLUSH_MS: '250' })).toMatchObject({ workers: 3, progress_flush_ms: 250 });
    expect(() => loadConfig(undefined, { ...base, ANVIL_WORKERS: '0' })).toThrow(/workers \(ANVIL_WORKERS\)/);
    expect(() => loadConfig(undefined, { ...base, ANVIL_PROGRESS_FLUSH_MS: '1' })).toThrow(/progress_flush_ms \(ANVIL_PROGRESS_FLUSH_MS\)/);
  });
});
