/**
 * A Glance image deployed through the driver-service with real Keystone, Glance and Ironic: the agent
 * downloads with an application credential the service created for that one image; the credential can do
 * nothing else, and it is deleted once Ironic shows the deploy over. The config drive goes to Ironic's
 * provision API as a gzip+base64 ISO and ends up on the disk.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import pino from 'pino';
import { createLogger } from '@anvil/shared';
import { IronicClient, KeystoneSession } from '@anvil/shared/openstack';
import { loadConfig, startService, type RunningService } from '../../driver-service/src';
import { AgentProcess } from '../helpers/agent-process';
import { GlanceServer } from '../helpers/glance';
import { enrollNode, freePort, IronicServer, waitFor } from '../helpers/ironic';
import { KeystoneServer } from '../helpers/keystone';
import { blkid, hashDevice, LoopDisks } from '../helpers/loop';
import { runProvision } from '../helpers/provision';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const loops = new LoopDisks();
const work = mkdtempSync(join(tmpdir(), 'anvil-glance-test-'));
let keystone: KeystoneServer;
let glance: GlanceServer;
let ironic: IronicServer;
let service: RunningService;
const agents: AgentProcess[] = [];
const serviceLog = join(work, 'service.log');

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });
const Grant = z.object({ image_id: z.string(), endpoint: z.string(), application_credential: z.object({ auth_url: z.string(), id: z.string(), secret: z.string() }) });

beforeAll(async () => {
  keystone = await KeystoneServer.start();
  [glance, ironic] = await Promise.all([GlanceServer.start(keystone), IronicServer.start()]);
  const port = await freePort();
  service = await startService(
    loadConfig(undefined, {
      ANVIL_LISTEN_PORT: String(port),
      ANVIL_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ANVIL_DATA_DIR: join(work, 'service'),
      ANVIL_IRONIC_URL: ironic.url,
      ...keystone.driverServiceEnv(),
    }),
    // The service's log is kept for the checks below (and for reading when something fails).
    { log: createLogger({ name: 'driver-service', destination: pino.destination({ dest: serviceLog, sync: true }) }), watchIntervalMs: 500 },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await service?.close();
  await ironic?.stop();
  await glance?.stop();
  await keystone?.stop();
  loops.cleanup();
});

describe('Glance images through the driver-service', () => {
  it('hands the agent a download-only application credential for the image, and deletes it when the deploy is over', async () => {
    const serviceSession = keystone.serviceSession();
    const image = join(work, 'disk.img');
    writeFileSync(image, Buffer.concat([Buffer.alloc(MiB), randomBytes(7 * MiB)]));
    execFileSync(tool('sfdisk'), ['--quiet', image], { input: 'label: dos\nstart=2048, size=12288, type=83\n' });
    const other = join(work, 'other.img');
    writeFileSync(other, randomBytes(MiB));
    // The layout is chosen by the image's property anvil_layout; the checksum and format come from Glance.
    const uploaded = await glance.upload(serviceSession, image, { name: 'anvil-disk', disk_format: 'raw', anvil_layout: 'from-glance' });
    const otherImage = await glance.upload(serviceSession, other, { name: 'not-for-the-agent', disk_format: 'raw' });
    expect(uploaded.os_hash_algo).toBe('sha512');

    const dev = loops.create('glance', 96 * MiB);
    const layout = { plan: { version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: '{{image.format}}', target: { disk: 'd' } }], configdrive: { disk: 'd', source: '{{configdrive}}', size: '16MiB' } } };
    expect((await fetch(`${service.url}/v1/layouts/from-glance`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(layout) })).status).toBe(200);

    const client = new IronicClient({ endpoint: ironic.url });
    const mac = '52:54:00:cc:00:01';
    const node = await enrollNode(client, { name: 'glance-node', mac, instanceInfo: { image_source: uploaded.id }, provide: true });
    expect((await fetch(`${service.url}/v1/nodes/${node.uuid}/adopt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    const metadataUrl = String((await client.getNode(node.uuid)).driver_info.anvil_metadata_url);

    // The config drive as Ironic's provision API takes it in its ISO form: gzip + base64 of an ISO 9660 labelled config-2.
    const tree = join(work, 'cd');
    mkdirSync(join(tree, 'openstack', 'latest'), { recursive: true });
    writeFileSync(join(tree, 'openstack', 'latest', 'meta_data.json'), JSON.stringify({ uuid: node.uuid, hostname: 'from-an-iso' }));
    writeFileSync(join(tree, 'openstack', 'latest', 'user_data'), '#cloud-config\nfinal_message: glance\n');
    const iso = join(work, 'cd.iso');
    sh('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'config-2', '-J', '-r', tree]);
    await client.setProvisionState(node.uuid, 'active', { configdrive: gzipSync(readFileSync(iso)).toString('base64') });
    await waitFor('wait call-back', 60_000, async () => ((await client.getNode(node.uuid)).provision_state === 'wait call-back' ? true : undefined), 300);

    // Before the agent runs, fetch the plan the way it will, and try the credential handed out.
    const plan = (await (await fetch(metadataUrl)).json()) as { images: { source: { glance?: unknown }; checksum: string; format: string }[] };
    expect(plan.images[0]!.checksum).toBe(`sha512:${uploaded.os_hash_value}`);
    expect(plan.images[0]!.format).toBe('raw');
    const grant = Grant.parse(plan.images[0]!.source.glance);
    expect(grant).toMatchObject({ image_id: uploaded.id, endpoint: glance.url, application_credential: { auth_url: `${keystone.url}/v3` } });
    const handed = new KeystoneSession({ type: 'application_credential', auth_url: grant.application_credential.auth_url, id: grant.application_credential.id, secret: grant.application_credential.secret });
    const token = await handed.token();
    const get = (path: string): Promise<Response> => fetch(`${glance.url}${path}`, { headers: { 'X-Auth-Token': token } });
    const own = await get(`/v2/images/${uploaded.id}/file`);
    expect(own.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await own.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(readFileSync(image)).digest('hex'));
    // The access rules allow that one download and nothing else, in Glance or in Keystone.
    expect((await get(`/v2/images/${otherImage.id}/file`)).status).toBe(401);
    expect((await get('/v2/images')).status).toBe(401);
    expect((await get(`/v2/images/${uploaded.id}`)).status).toBe(401);
    // Keystone does not apply access rules to its own API: the credential carries only the reader role.
    expect((await fetch(`${keystone.url}/v3/projects`, { headers: { 'X-Auth-Token': token } })).status).toBe(403);
    const userId = (await serviceSession.info()).user!.id;
    const more = await fetch(`${keystone.url}/v3/users/${userId}/application_credentials`, { method: 'POST', headers: { 'X-Auth-Token': token, 'content-type': 'application/json' }, body: JSON.stringify({ application_credential: { name: 'escalate' } }) });
    expect(more.status).toBe(403);

    const agent = await AgentProcess.start({ apiUrl: ironic.url, mac, disks: [dev], dir: join(work, 'agent') });
    agents.push(agent);
    const t0 = Date.now();
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    expect(done.last_error ?? null).toBeNull();
    // The image's partition, byte for byte (the partition table itself gained the config drive's entry).
    expect(hashDevice(dev, MiB, 7 * MiB)).toBe(createHash('sha256').update(readFileSync(image).subarray(MiB)).digest('hex'));
    expect(agent.entries().some((e) => e.msg === 'authenticated to Keystone with the application credential handed in for this image')).toBe(true);
    // No secret reaches the agent's or the service's log.
    expect(readFileSync(agent.logFile, 'utf8')).not.toContain(grant.application_credential.secret);
    expect(readFileSync(serviceLog, 'utf8')).toContain(grant.application_credential.id);
    expect(readFileSync(serviceLog, 'utf8')).not.toContain(grant.application_credential.secret);

    // The ISO config drive is on the disk.
    const parts = JSON.parse(sh('sfdisk', ['--json', dev])) as { partitiontable: { partitions: { node: string }[] } };
    const cd = parts.partitiontable.partitions.at(-1)!;
    expect(blkid(cd.node)).toMatchObject({ LABEL: 'config-2' });
    sh('xorriso', ['-indev', `stdio:${cd.node}`, '-osirrox', 'on', '-extract', '/openstack/latest/meta_data.json', join(work, 'meta.json')]);
    expect(JSON.parse(readFileSync(join(work, 'meta.json'), 'utf8'))).toMatchObject({ hostname: 'from-an-iso', uuid: node.uuid });

    // Once Ironic shows the deploy over, every credential of the deploy is deleted: Keystone refuses it.
    await waitFor('the credentials to be deleted', 30_000, async () => {
      const res = await fetch(`${keystone.url}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth: { identity: { methods: ['application_credential'], application_credential: { id: grant.application_credential.id, secret: grant.application_credential.secret } } } }) });
      return res.status === 201 ? undefined : res.status;
    }, 500).then((status) => expect([401, 404]).toContain(status));
    const adminToken = await keystone.adminSession().token();
    const left = (await (await fetch(`${keystone.url}/v3/users/${userId}/application_credentials`, { headers: { 'X-Auth-Token': adminToken } })).json()) as { application_credentials: { name: string }[] };
    expect(left.application_credentials.filter((c) => c.name.startsWith('anvil-'))).toEqual([]);
    expect((await fetch(metadataUrl)).status).toBe(403);
    process.stdout.write(`Glance image deploy, agent start to active: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  it('streams a qcow2 image from Glance: the tables by range requests with the token, then one download', async () => {
    const raw = join(work, 'q.raw');
    writeFileSync(raw, Buffer.alloc(0));
    execFileSync(tool('truncate'), ['-s', String(24 * MiB), raw]);
    const content = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(5 * MiB), randomBytes(2 * MiB)]);
    writeFileSync(raw, content, { flag: 'r+' });
    const qcow2 = join(work, 'q.qcow2');
    sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-c', raw, qcow2]);
    const session = keystone.serviceSession();
    const uploaded = await glance.upload(session, qcow2, { name: 'anvil-qcow2', disk_format: 'qcow2' });
    const dev = loops.create('glance-qcow2', 32 * MiB);
    const r = await runProvision({ version: 1, disks: [{ id: 'd', select: { name: dev }, table: 'none' }], images: [{ id: 'os', source: { glance: { image_id: uploaded.id, endpoint: glance.url, token: await session.token() } }, checksum: `sha512:${uploaded.os_hash_value}`, format: 'qcow2', target: { disk: 'd' } }] }, [dev]);
    expect(r.error).toBeUndefined();
    expect(hashDevice(dev, 0, 24 * MiB)).toBe(createHash('sha256').update(readFileSync(raw)).digest('hex'));
  });
});
