import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudsFiles, resolveCloudAuth } from '../../../../agent/src/cli/cloud-auth';

describe('Keystone credentials for the anvil command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-clouds-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
  const cwd = join(dir, 'cwd');
  mkdirSync(cwd);
  writeFileSync(
    join(home, '.config', 'openstack', 'clouds.yaml'),
    [
      'clouds:',
      '  lab:',
      '    auth:',
      '      auth_url: http://keystone.example:5000',
      '      username: operator',
      '      project_name: admin',
      '      user_domain_name: Default',
      '    region_name: RegionTwo',
      '    interface: internal',
      '  appcred:',
      '    auth_type: v3applicationcredential',
      '    auth: { auth_url: "http://keystone.example:5000/v3/", application_credential_id: ac1, application_credential_secret: s3 }',
      '  odd:',
      '    auth_type: v3oidcpassword',
      '    auth: { auth_url: http://k }',
      '  partial:',
      '    auth: { username: u }',
    ].join('\n'),
  );
  writeFileSync(join(home, '.config', 'openstack', 'secure.yaml'), 'clouds:\n  lab:\n    auth:\n      password: from-secure\n');
  const env = { HOME: home };

  it('finds a cloud in openstacksdk’s order and merges its secure.yaml', () => {
    expect(cloudsFiles(env, cwd)).toEqual([join(cwd, 'clouds.yaml'), join(home, '.config/openstack/clouds.yaml'), '/etc/openstack/clouds.yaml']);
    expect(resolveCloudAuth({ cloud: 'lab', env, cwd })).toEqual({
      source: `cloud lab (${join(home, '.config/openstack/clouds.yaml')})`,
      auth: { type: 'password', auth_url: 'http://keystone.example:5000/v3', username: 'operator', password: 'from-secure', user_domain_name: 'Default', project_name: 'admin' },
      region: 'RegionTwo',
      interface: 'internal',
    });
    expect(resolveCloudAuth({ env: { ...env, OS_CLOUD: 'appcred' }, cwd })?.auth).toEqual({ type: 'application_credential', auth_url: 'http://keystone.example:5000/v3', id: 'ac1', secret: 's3' });
  });

  it('a clouds.yaml in the working folder comes first; OS_CLIENT_CONFIG_FILE replaces the search', () => {
    const here = mkdtempSync(join(tmpdir(), 'anvil-clouds-cwd-'));
    writeFileSync(join(here, 'clouds.yaml'), 'clouds:\n  lab:\n    auth: { auth_url: "http://near/v3", username: n, password: p }\n');
    expect(resolveCloudAuth({ cloud: 'lab', env, cwd: here })?.auth).toMatchObject({ auth_url: 'http://near/v3', username: 'n' });
    const only = join(here, 'only.yaml');
    writeFileSync(only, 'clouds:\n  other:\n    auth: { auth_url: "http://x", token: t, project_id: p1 }\n');
    expect(cloudsFiles({ ...env, OS_CLIENT_CONFIG_FILE: only }, here)).toEqual([only]);
    expect(resolveCloudAuth({ cloud: 'other', env: { ...env, OS_CLIENT_CONFIG_FILE: only }, cwd: here })?.auth).toEqual({ type: 'token', auth_url: 'http://x/v3', token: 't', project_id: 'p1' });
  });

  it('the OS_* variables when no cloud is named; nothing without OS_AUTH_URL', () => {
    const vars = { OS_AUTH_URL: 'http://k:5000/v3', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'demo', OS_PROJECT_DOMAIN_NAME: 'Default', OS_INTERFACE: 'publicURL' };
    expect(resolveCloudAuth({ env: vars, cwd })).toEqual({ source: 'the OS_* variables', auth: { type: 'password', auth_url: 'http://k:5000/v3', username: 'u', password: 'p', project_name: 'demo', project_domain_name: 'Default' }, interface: 'public' });
    expect(resolveCloudAuth({ env: {}, cwd })).toBeUndefined();
  });

  it('clear errors: a cloud nowhere, one that lacks fields, an auth type it does not speak, a cacert it cannot read', () => {
    expect(() => resolveCloudAuth({ cloud: 'nope', env, cwd })).toThrow(expect.objectContaining({ code: 'cli.cloud_not_found', message: expect.stringContaining('(lab, appcred, odd, partial)') }));
    expect(() => resolveCloudAuth({ cloud: 'partial', env, cwd })).toThrow(expect.objectContaining({ code: 'cli.cloud_incomplete', message: expect.stringMatching(/has no auth_url, password$/) }));
    expect(() => resolveCloudAuth({ cloud: 'odd', env, cwd })).toThrow(expect.objectContaining({ code: 'cli.cloud_auth_type' }));
    expect(() => resolveCloudAuth({ env: { OS_AUTH_URL: 'http://k', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_CACERT: join(dir, 'missing.pem') }, cwd })).toThrow(expect.objectContaining({ code: 'cli.cloud_unreadable' }));
  });
});
