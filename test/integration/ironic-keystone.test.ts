/**
 * The same custom-agent deploy with Ironic behind Keystone (auth_strategy=keystone): the agent's lookup and
 * heartbeat are Ironic's public routes and need no token; the operator side authenticates with Keystone and
 * finds Ironic in the catalog.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeystoneSession } from '@anvil/shared/openstack';
import { silentLogger } from '@anvil/shared';
import { IronicClient } from '@anvil/shared/openstack';
import { loadConfig, startService } from '../../driver-service/src';
import { main } from '../../agent/src/cli/main';
import { AgentProcess } from '../helpers/agent-process';
import { FileServer } from '../helpers/http-server';
import { enrollNode, freePort, IronicServer } from '../helpers/ironic';
import { KeystoneServer } from '../helpers/keystone';
import { hashDevice, LoopDisks } from '../helpers/loop';

const MiB = 1024 * 1024;
const loops = new LoopDisks();
const files = new FileServer();
const work = mkdtempSync(join(tmpdir(), 'anvil-ks-test-'));
let keystone: KeystoneServer;
let ironic: IronicServer;

beforeAll(async () => {
  keystone = await KeystoneServer.start();
  ironic = await IronicServer.start({ auth: 'keystone', keystone: { url: keystone.url, servicePassword: keystone.servicePassword } });
  await keystone.addEndpoint('baremetal', ironic.url);
  await files.start();
}, 240_000);

afterAll(async () => {
  await files.stop();
  await ironic?.stop();
  await keystone?.stop();
  loops.cleanup();
});

describe('Ironic with Keystone auth', () => {
  it('refuses the API without a token, finds Ironic in the catalog, and deploys through the agent to active', async () => {
    const anonymous = await fetch(`${ironic.url}/v1/nodes`, { headers: { 'X-OpenStack-Ironic-API-Version': '1.80' } });
    expect(anonymous.status).toBe(401);

    const session: KeystoneSession = keystone.adminSession();
    const endpoint = await session.endpoint({ type: 'baremetal', interface: 'public', region: 'RegionOne' });
    expect(endpoint).toBe(ironic.url);
    const client = new IronicClient({ endpoint, token: () => session.token() });

    const image = join(work, 'disk.img');
    writeFileSync(image, Buffer.concat([Buffer.alloc(MiB), Buffer.alloc(7 * MiB, 0x5a)]));
    files.add('/disk.img', image);
    const dev = loops.create('ks', 64 * MiB);
    const mac = '52:54:00:bb:00:01';
    const node = await enrollNode(client, {
      name: 'ks-node',
      mac,
      instanceInfo: { image_source: files.url('/disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: createHash('sha256').update(readFileSync(image)).digest('hex'), root_device: { name: dev } },
      provide: true,
    });
    const agent = await AgentProcess.start({ apiUrl: ironic.url, mac, disks: [dev], dir: join(work, 'agent') });
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active');
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    expect(done.last_error ?? null).toBeNull();
    expect(await agent.exited).toBe(0);
    expect(hashDevice(dev, 0, 8 * MiB)).toBe(createHash('sha256').update(readFileSync(image)).digest('hex'));
    process.stdout.write(`keystone-auth deploy to active: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  it('the driver-service behind Keystone: no token or a bad one is refused, readers read, admins change, capability routes need no token; the anvil command authenticates from clouds.yaml or OS_*', async () => {
    const port = await freePort();
    const service = await startService(
      loadConfig(undefined, {
        ANVIL_LISTEN_PORT: String(port),
        ANVIL_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ANVIL_DATA_DIR: join(work, 'service'),
        ANVIL_IRONIC_URL: ironic.url,
        ANVIL_AUTH: 'keystone',
        ...keystone.driverServiceEnv(),
      }),
      { log: silentLogger() },
    );
    try {
      const call = async (path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
        const res = await fetch(`${service.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) } });
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      };
      expect(await call('/v1/layouts')).toMatchObject({ status: 401, body: { code: 'auth.missing_token' } });
      expect(await call('/v1/layouts', 'not-a-token')).toMatchObject({ status: 401, body: { code: 'auth.invalid_token' } });
      const reader = await (await keystone.createUser('viewer', 'reader')).token();
      const admin = await keystone.adminSession().token();
      const layout = { plan: { version: 1, disks: [{ id: 'd', select: { name: '/dev/sda' }, table: 'none' }], images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', target: { disk: 'd' } }] } };
      expect(await call('/v1/layouts', reader)).toMatchObject({ status: 200, body: { layouts: [] } });
      expect(await call('/v1/layouts/whole', reader, { method: 'PUT', body: JSON.stringify(layout) })).toMatchObject({ status: 403, body: { code: 'auth.forbidden' } });
      expect(await call('/v1/layouts/whole', admin, { method: 'PUT', body: JSON.stringify(layout) })).toMatchObject({ status: 200, body: { name: 'whole' } });

      // Adoption goes through the Keystone-protected Ironic with the service's own token.
      const client = new IronicClient({ endpoint: ironic.url, token: () => keystone.adminSession().token() });
      const node = await client.createNode({ name: 'ks-adopt', driver: 'fake-hardware', deploy_interface: 'fake' });
      const adopted = await call(`/v1/nodes/${node.uuid}/adopt`, admin, { method: 'POST', body: JSON.stringify({ layout: 'whole' }) });
      expect(adopted).toMatchObject({ status: 200, body: { node_uuid: node.uuid, deploy_interface: 'custom-agent', layout: 'whole' } });
      const url = String((await client.getNode(node.uuid)).driver_info.anvil_metadata_url);
      // The capability route takes no Keystone token: it answers on its own terms (not deploying).
      expect((await fetch(url)).status).toBe(409);

      // The anvil command authenticates as OpenStack's clients do: a cloud of clouds.yaml, or the OS_* variables.
      const clouds = join(work, 'clouds.yaml');
      const cloud = (name: string, password: string): string[] => [`  ${name}:`, '    auth:', `      auth_url: ${keystone.url}`, '      username: admin', `      password: ${password}`, '      project_name: admin', '      user_domain_name: Default', '      project_domain_name: Default', '    region_name: RegionOne'];
      writeFileSync(clouds, ['clouds:', ...cloud('anvil-admin', keystone.adminPassword), ...cloud('wrong', 'not-the-password')].join('\n') + '\n');
      const saved = { ...process.env };
      const said: string[] = [];
      const io = { out: (t: string) => void said.push(t), err: (t: string) => void said.push(t) };
      try {
        process.env.OS_CLIENT_CONFIG_FILE = clouds;
        expect(await main(['node', 'anvil', '--os-cloud', 'anvil-admin', 'layout', 'list', '--service', service.url], io)).toBe(0);
        expect(said.at(-1)).toMatch(/^whole\t/);
        expect(await main(['node', 'anvil', 'layout', 'list', '--service', service.url], io)).toBe(1);
        expect(said.at(-1)).toContain('[auth.missing_token]');
        expect(await main(['node', 'anvil', 'layout', 'list', '--service', service.url, '--os-cloud', 'wrong'], io)).toBe(1);
        expect(said.at(-1)).toMatch(/keystone.*\[keystone\.http_401\]/);
        expect(await main(['node', 'anvil', '--os-cloud', 'nowhere', 'layout', 'list', '--service', service.url], io)).toBe(2);
        expect(said.at(-1)).toContain('[cli.cloud_not_found]');
        // OS_* variables, and Ironic found in the catalog (no --ironic-url): a fake-deploy node goes active.
        delete process.env.OS_CLIENT_CONFIG_FILE;
        Object.assign(process.env, { OS_AUTH_URL: `${keystone.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: keystone.adminPassword, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne' });
        const fake = await enrollNode(client, { name: 'ks-cli', mac: '52:54:00:bb:00:02', provide: true });
        await client.patchNode(fake.uuid, [{ op: 'replace', path: '/deploy_interface', value: 'fake' }]);
        expect(await main(['node', 'anvil', 'deploy', 'ks-cli', '--wait', '--timeout', '60'], io)).toBe(0);
        expect(said.at(-1)).toBe('ks-cli: active');
      } finally {
        for (const k of ['OS_CLIENT_CONFIG_FILE', 'OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_USER_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_NAME', 'OS_REGION_NAME'] as const) {
          if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
          else process.env[k] = saved[k];
        }
      }
    } finally {
      await service.close();
    }
  });
});
