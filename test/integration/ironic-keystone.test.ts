/**
 * The same custom-agent deploy with Ironic behind Keystone (auth_strategy=keystone): the agent's lookup and
 * heartbeat are Ironic's public routes and need no token; the operator side authenticates with Keystone and
 * finds Ironic in the catalog.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeystoneSession } from '@anvil/shared';
import { IronicClient } from '@anvil/shared';
import { AgentProcess } from '../helpers/agent-process';
import { FileServer } from '../helpers/http-server';
import { enrollNode, IronicServer } from '../helpers/ironic';
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
    });
    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    const agent = await AgentProcess.start({ apiUrl: ironic.url, mac, disks: [dev], dir: join(work, 'agent') });
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active');
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    expect(done.last_error ?? null).toBeNull();
    expect(await agent.exited).toBe(0);
    expect(hashDevice(dev, 0, 8 * MiB)).toBe(createHash('sha256').update(readFileSync(image)).digest('hex'));
    process.stdout.write(`keystone-auth deploy to active: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });
});
