/**
 * The agent as a deploy ramdisk driven by a real Ironic: Debian's Ironic 2023.1 (single-process `ironic`,
 * SQLite, noauth) with fake-hardware nodes on the stock custom-agent deploy interface, and the real
 * `anvil-agent` daemon on this machine playing each node's ramdisk over loop devices.
 *
 * Ironic runs with a 20 s deploy-callback timeout and a 10 s heartbeat timeout (heartbeats every 3–6 s),
 * so every successful deploy here also shows the agent keeps a deploy alive longer than the callback
 * timeout would allow a silent one.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IronicClient, IronicNodeT } from '@anvil/shared/openstack';
import { AgentProcess } from '../helpers/agent-process';
import { FileServer } from '../helpers/http-server';
import { enrollNode, IronicServer } from '../helpers/ironic';
import { blkid, hashDevice, LoopDisks, readBytes } from '../helpers/loop';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const IMAGE_BYTES = 24 * MiB;
const loops = new LoopDisks();
const files = new FileServer();
const work = mkdtempSync(join(tmpdir(), 'anvil-ironic-test-'));
let ironic: IronicServer;
let client: IronicClient;
let image: string;
let imageSha256: string;
const agents: AgentProcess[] = [];
let macSeq = 0;

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });
const nextMac = (): string => `52:54:00:aa:00:${(++macSeq).toString(16).padStart(2, '0')}`;

async function startAgent(mac: string, disks: string[], extra: { dir?: string; stateDir?: string; port?: number } = {}): Promise<AgentProcess> {
  const a = await AgentProcess.start({ apiUrl: ironic.url, mac, disks, dir: extra.dir ?? join(work, mac.replace(/:/g, '')), ...(extra.stateDir ? { stateDir: extra.stateDir } : {}), ...(extra.port ? { port: extra.port } : {}) });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  ironic = await IronicServer.start({ conf: { conductor: { deploy_callback_timeout: 20, check_provision_state_interval: 3 } } });
  client = ironic.client();
  await files.start();
  image = join(work, 'disk.img');
  writeFileSync(image, '');
  sh('truncate', ['-s', String(IMAGE_BYTES), image]);
  const fd = openSync(image, 'r+');
  for (let off = 2 * MiB; off < IMAGE_BYTES - 2 * MiB; off += 3 * MiB) writeSync(fd, randomBytes(MiB), 0, MiB, off);
  closeSync(fd);
  sh('sgdisk', ['--new=1:2048:+16M', '--typecode=1:8300', '--change-name=1:os', image]);
  imageSha256 = createHash('sha256').update(readFileSync(image)).digest('hex');
  files.add('/disk.img', image);
  files.add('/slow-disk.img', image, { rateBps: 3 * MiB });
  files.add('/slower-disk.img', image, { rateBps: 0.8 * MiB });
}, 180_000);

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

afterAll(async () => {
  await files.stop();
  await ironic?.stop();
  loops.cleanup();
});

/** The deploy logs Ironic stored for a node (deploy_logs_collect=on_failure, local backend): file names in each tarball. */
function collectedLogs(nodeUuid: string): string[][] {
  const dir = join(ironic.dir, 'deploy-logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(nodeUuid) && f.endsWith('.tar.gz'))
    .map((f) => sh('tar', ['-tzf', join(dir, f)]).split('\n').filter(Boolean).map((n) => n.replace(/^\.\//, '')));
}

function writeDirtyLayout(dev: string): void {
  sh('sgdisk', ['--new=1:2048:+32M', '--new=2:0:+32M', dev]);
  sh('partprobe', [dev]);
  sh('mkfs.ext4', ['-q', '-F', `${dev}p1`]);
  sh('mkswap', [`${dev}p2`]);
}

/** Waits for a provision state, failed states included (waitForProvisionState would throw on those). */
async function waitForState(uuid: string, state: string, timeoutMs = 90_000): Promise<IronicNodeT> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await client.getNode(uuid);
    if (n.provision_state === state) return n;
    if (Date.now() > deadline) throw new Error(`node ${uuid} is ${n.provision_state}, not ${state}, after ${timeoutMs} ms (last_error: ${n.last_error ?? ''})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitForLog(agent: AgentProcess, match: (e: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!agent.entries().some(match)) {
    if (Date.now() > deadline) throw new Error(`the agent did not log what was expected within ${timeoutMs} ms:\n${agent.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function expectImageOn(dev: string): void {
  const span = IMAGE_BYTES - 2 * MiB;
  expect(hashDevice(dev, MiB, span)).toBe(createHash('sha256').update(readFileSync(image).subarray(MiB, MiB + span)).digest('hex'));
  expect(sh('sgdisk', ['--info=1', dev])).toMatch(/Partition name: 'os'/);
}

describe('Ironic custom-agent deploys driven by a real conductor', () => {
  it('deploys a whole-disk image from standalone instance_info with the config drive of the provision request, to active', async () => {
    const dev = loops.create('deploy', 128 * MiB);
    const mac = nextMac();
    const node = await enrollNode(client, {
      name: 'deploy-ok',
      mac,
      instanceInfo: { image_source: files.url('/disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: imageSha256, image_type: 'whole-disk', root_device: { name: dev } },
      provide: true,
    });
    const agent = await startAgent(mac, [dev]);
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active', {
      configdrive: { meta_data: { hostname: 'anvil-node-1', public_keys: { k: 'ssh-ed25519 AAAA test' } }, user_data: '#cloud-config\nfinal_message: anvil\n', network_data: { links: [], networks: [], services: [] } },
    });
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    const seconds = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    expect(await agent.exited).toBe(0); // standby.power_off ends the daemon outside a ramdisk
    expectImageOn(dev);
    // The config drive: a partition at the end of the disk, labelled config-2, holding the request's data.
    const parts = JSON.parse(sh('sfdisk', ['--json', dev])) as { partitiontable: { partitions: { node: string; start: number; size: number }[] } };
    const cd = parts.partitiontable.partitions.at(-1)!;
    expect(blkid(cd.node)).toMatchObject({ LABEL: 'config-2' });
    sh('xorriso', ['-indev', `stdio:${cd.node}`, '-osirrox', 'on', '-extract', '/openstack/latest/meta_data.json', join(work, 'meta.json')]);
    expect(JSON.parse(readFileSync(join(work, 'meta.json'), 'utf8'))).toMatchObject({ hostname: 'anvil-node-1', uuid: node.uuid });
    const log = agent.entries();
    expect(log.some((e) => e.msg === 'lookup found the node' && e.node_uuid === node.uuid)).toBe(true);
    expect(log.some((e) => e.msg === 'plan resolved' && e.origin === 'instance_info')).toBe(true);
    process.stdout.write(`deploy to active: ${seconds.toFixed(1)} s\n`);
  });
});

describe('failures an operator can act on', () => {
  it('a plan that fails validation: deploy failed, the validator\'s message with its JSON pointer in last_error, nothing touched, logs collected', async () => {
    const dev = loops.create('invalid', 128 * MiB);
    writeDirtyLayout(dev);
    const before = hashDevice(dev);
    const mac = nextMac();
    const plan = { version: 1, disks: [{ id: 'd', select: { name: dev }, partitions: [{ id: 'root', size: '10GiB' }] }], filesystems: [{ id: 'fs', device: 'root', type: 'ext4', mount: { path: '/' } }] };
    const node = await enrollNode(client, { name: 'deploy-invalid', mac, instanceInfo: { anvil_plan: plan }, provide: true });
    await startAgent(mac, [dev]);
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active');
    const failed = await waitForState(node.uuid, 'deploy failed');
    const seconds = (Date.now() - t0) / 1000;
    expect(failed.last_error).toContain(`Deploy step deploy.anvil_provision failed on node ${node.uuid}`);
    expect(failed.last_error).toContain('the plan is not valid for this machine; nothing was touched');
    expect(failed.last_error).toMatch(/\/disks\/0\/partitions\/0\/size size\.does_not_fit: /);
    expect(failed.last_error).toContain('[provision.invalid_plan]');
    expect(hashDevice(dev)).toBe(before);
    const logs = collectedLogs(node.uuid);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]).toEqual(expect.arrayContaining(['anvil-agent.log', 'plan.json', 'lsblk.json', 'dmesg.txt', 'commands.json']));
    process.stdout.write(`invalid plan to deploy failed: ${seconds.toFixed(1)} s\n`);
  });

  it('an image that fails its checksum mid-write: deploy failed with the reason, and nothing bootable left on the disk', async () => {
    const dev = loops.create('badsum', 128 * MiB);
    const mac = nextMac();
    const node = await enrollNode(client, {
      name: 'deploy-badsum',
      mac,
      instanceInfo: { image_source: files.url('/disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: '0'.repeat(64), root_device: { name: dev } },
      provide: true,
    });
    await startAgent(mac, [dev]);
    await client.setProvisionState(node.uuid, 'active');
    const failed = await waitForState(node.uuid, 'deploy failed');
    expect(failed.last_error).toContain(`Deploy step deploy.anvil_provision failed on node ${node.uuid}`);
    expect(failed.last_error).toMatch(/checksum/i);
    expect(readBytes(dev, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true); // no partition table, no boot code
    expect(collectedLogs(node.uuid).length).toBeGreaterThan(0);
  });
});

describe('cleaning', () => {
  it('automated cleaning erases the metadata of the node\'s disks and the node becomes available', async () => {
    const dev = loops.create('clean', 128 * MiB);
    writeDirtyLayout(dev);
    expect(blkid(`${dev}p1`).TYPE).toBe('ext4');
    const mac = nextMac();
    const node = await enrollNode(client, { name: 'clean-me', mac, automatedClean: true });
    const agent = await startAgent(mac, [dev]);
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'provide');
    const done = await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 120_000, intervalMs: 500 });
    const seconds = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    expect(agent.entries().some((e) => e.command === 'clean.execute_clean_step' && e.msg === 'command succeeded')).toBe(true);
    expect(sh('wipefs', ['--no-act', '--noheadings', dev]).trim()).toBe('');
    expect(readBytes(dev, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    expect(readBytes(dev, 128 * MiB - MiB, MiB).equals(Buffer.alloc(MiB))).toBe(true); // the backup GPT too
    process.stdout.write(`automated cleaning to available: ${seconds.toFixed(1)} s\n`);
  });
});

describe('agent restarts and silence', () => {
  it('an agent restarted without a reboot: a new agent gets no token from Ironic, the same boot\'s agent resumes with its kept token and finishes the deploy', async () => {
    const dev = loops.create('restart', 128 * MiB);
    const mac = nextMac();
    const dir = join(work, 'restart');
    const node = await enrollNode(client, {
      name: 'deploy-restart',
      mac,
      instanceInfo: { image_source: files.url('/slow-disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: imageSha256, root_device: { name: dev } },
      provide: true,
    });
    const first = await startAgent(mac, [dev], { dir });
    const t0 = Date.now();
    await client.setProvisionState(node.uuid, 'active');
    await waitForLog(first, (e) => e.msg === 'progress', 60_000);
    first.kill('SIGKILL');
    await first.exited;

    // Another agent (no kept state): Ironic answers lookup with a masked token, so it cannot heartbeat.
    const stranger = await startAgent(mac, [dev], { dir: join(work, 'restart-stranger') });
    expect(await stranger.exited).toBe(1);
    expect(stranger.log()).toContain('agent.token_already_issued');

    // The same boot's agent (same state directory and callback URL) carries on.
    const second = await startAgent(mac, [dev], { dir, port: first.port });
    const done = await client.waitForProvisionState(node.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    const seconds = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    const log = second.entries();
    expect(log.some((e) => e.msg === 'the agent restarted within this boot: using the token Ironic issued to it earlier')).toBe(true);
    expect(log.some((e) => e.msg === 'resuming the command the previous agent was running')).toBe(true);
    expectImageOn(dev);
    process.stdout.write(`deploy with an agent restart: ${seconds.toFixed(1)} s\n`);
  });

  it('keeps a deploy alive past the callback timeout while it works, and the conductor fails it when the agent goes silent', async () => {
    // Healthy: the slow image takes ~30 s, longer than the 20 s deploy_callback_timeout.
    const devA = loops.create('long', 128 * MiB);
    const macA = nextMac();
    const nodeA = await enrollNode(client, {
      name: 'deploy-long',
      mac: macA,
      instanceInfo: { image_source: files.url('/slower-disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: imageSha256, root_device: { name: devA } },
    });
    // Silent: the agent dies while it writes, and nobody heartbeats again.
    const devB = loops.create('silent', 128 * MiB);
    const macB = nextMac();
    const nodeB = await enrollNode(client, {
      name: 'deploy-silent',
      mac: macB,
      instanceInfo: { image_source: files.url('/slower-disk.img'), image_os_hash_algo: 'sha256', image_os_hash_value: imageSha256, root_device: { name: devB } },
    });
    for (const n of [nodeA, nodeB]) await client.setProvisionState(n.uuid, 'provide');
    for (const n of [nodeA, nodeB]) await client.waitForProvisionState(n.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    const healthy = await startAgent(macA, [devA]);
    const silent = await startAgent(macB, [devB]);
    const t0 = Date.now();
    await client.setProvisionState(nodeA.uuid, 'active');
    await client.setProvisionState(nodeB.uuid, 'active');
    await waitForLog(silent, (e) => e.msg === 'progress', 60_000);
    silent.kill('SIGKILL');
    const tKill = Date.now();
    const failed = await waitForState(nodeB.uuid, 'deploy failed', 90_000);
    const silentSeconds = (Date.now() - tKill) / 1000;
    expect(failed.last_error).toMatch(/Timeout reached while waiting for callback/);
    const done = await client.waitForProvisionState(nodeA.uuid, ['active'], { timeoutMs: 120_000, intervalMs: 500 });
    const healthySeconds = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    expect(healthySeconds).toBeGreaterThan(20);
    // Each heartbeat resets Ironic's callback clock; 3–6 s apart they kept the 20 s timeout at bay.
    expect(healthy.entries().filter((e) => e.msg === 'heartbeat accepted').length).toBeGreaterThanOrEqual(4);
    expectImageOn(devA);
    process.stdout.write(`healthy long deploy: ${healthySeconds.toFixed(1)} s; silent agent failed after ${silentSeconds.toFixed(1)} s\n`);
  });
});
