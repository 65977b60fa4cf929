import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IronicClient } from '@anvil/shared/openstack';
import { bootstrapImage, type BuiltBootstrap } from '../helpers/bootstrap';
import { enrollNode, freePort, IronicServer, waitFor } from '../helpers/ironic';

/**
 * The bootstrap image `anvil bootstrap build` makes, booted as the deploy ramdisk of a real Ironic node: the
 * `initramfs` format (built once per run, cached by its inputs), QEMU direct kernel boot, the NIC on QEMU
 * user networking. The agent reaches Ironic through the user network's gateway (10.0.2.2 is the host's
 * loopback) and Ironic reaches the agent through a hostfwd port, which the agent advertises
 * (anvil.advertise_host/anvil.advertise_port). systemd starts it from its unit; networkd gets the lease.
 * Then the node deploys a small plan onto the VM's virtio disk and goes active.
 */
const MAC = '52:54:00:b5:00:01';
const work = mkdtempSync(join(tmpdir(), 'anvil-bs-boot-'));
let image: BuiltBootstrap;
let ironic: IronicServer;
let client: IronicClient;
let qemu: ChildProcess | undefined;
let consoleText = '';

const plan = {
  version: 1,
  metadata: { deployment_id: 'bootstrap-e2e-1' },
  disks: [{ id: 'd0', select: { serial: 'anvil-disk0' }, partitions: [{ id: 'p-root', size: 'remaining' }] }],
  filesystems: [{ id: 'fs-root', device: 'p-root', type: 'ext4', label: 'bs-e2e', mount: { path: '/' } }],
};

beforeAll(async () => {
  image = await bootstrapImage('initramfs');
  ironic = await IronicServer.start({ conf: { api: { ramdisk_heartbeat_timeout: 30 }, conductor: { deploy_callback_timeout: 900 } } });
  client = ironic.client();
}, 1_800_000);

afterAll(async () => {
  if (qemu && qemu.exitCode === null) qemu.kill('SIGKILL');
  if (process.env.ANVIL_VM_LOG) writeFileSync(join(process.env.ANVIL_VM_LOG, 'bootstrap-initramfs.console.log'), consoleText);
  await ironic?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('anvil bootstrap build: the initramfs format boots as a real Ironic node’s deploy ramdisk', () => {
  it('records what it holds in metadata.yaml', () => {
    expect(image.metadata).toMatchObject({ distro: 'debian', format: 'initramfs', release: 'bookworm', node_version: process.version });
    expect(image.metadata.kernel_version).toMatch(/-amd64$/);
    expect(Object.keys(image.metadata.files ?? {}).sort()).toEqual(['initramfs.img', 'linux']);
  });

  it('boots, looks the node up and heartbeats; Ironic reaches it and the node deploys to active', async () => {
    const node = await enrollNode(client, { name: 'bs-boot', mac: MAC, instanceInfo: { anvil_plan: plan }, provide: true });
    await client.setProvisionState(node.uuid, 'active');
    await client.waitForProvisionState(node.uuid, ['wait call-back'], { timeoutMs: 60_000, intervalMs: 500 });
    const agentPort = await freePort();
    const apiPort = new URL(ironic.url).port;
    const disk = join(work, 'disk0.img');
    writeFileSync(disk, '');
    truncateSync(disk, 256 * 1024 * 1024);
    const append = ['console=ttyS0', 'panic=-1', `ipa-api-url=http://10.0.2.2:${apiPort}`, `BOOTIF=${MAC}`, 'anvil.advertise_host=127.0.0.1', `anvil.advertise_port=${agentPort}`, 'systemd.show_status=1', image.metadata.extend_kopts].filter(Boolean).join(' ');
    const args = ['-accel', 'tcg,thread=multi', '-m', '3072', '-smp', '2', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-kernel', image.files.linux, '-initrd', image.files.initramfs, '-append', append, '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${agentPort}-:9999`, '-device', `virtio-net-pci,netdev=n0,mac=${MAC}`, '-drive', `file=${disk},if=none,id=d0,format=raw,cache=unsafe`, '-device', 'virtio-blk-pci,drive=d0,serial=anvil-disk0'];
    const t0 = Date.now();
    let lookupAt: number | undefined;
    qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer): void => {
      consoleText += d.toString('utf8');
      if (lookupAt === undefined && consoleText.includes('lookup found the node')) lookupAt = Date.now();
    };
    qemu.stdout!.on('data', onData);
    qemu.stderr!.on('data', onData);
    const exited = new Promise<number | null>((r) => qemu!.on('close', (c) => r(c)));

    const heartbeat = await waitFor('the agent’s first heartbeat', 600_000, async () => {
      if (qemu!.exitCode !== null) throw new Error(`QEMU exited:\n${consoleText.slice(-4000)}`);
      const n = await client.getNode(node.uuid);
      const dii = (n.driver_internal_info ?? {}) as Record<string, unknown>;
      return dii.agent_url && dii.agent_last_heartbeat ? dii : undefined;
    }, 1000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- console ---\n${consoleText.replace(/\r/g, '').slice(-6000)}`);
    });
    const heartbeatS = (Date.now() - t0) / 1000;
    expect(heartbeat.agent_url).toBe(`http://127.0.0.1:${agentPort}`);
    expect(lookupAt).toBeDefined();
    const lookupS = (lookupAt! - t0) / 1000;

    const done = await waitFor('the node active', 600_000, async () => {
      const n = await client.getNode(node.uuid);
      if (n.provision_state === 'deploy failed') throw new Error(`deploy failed: ${n.last_error ?? ''}\n${consoleText.replace(/\r/g, '').slice(-4000)}`);
      return n.provision_state === 'active' ? n : undefined;
    }, 1000);
    const activeS = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    // standby.power_off: the agent powers the VM off (a ramdisk), QEMU ends
    const rc = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 120_000))]);
    expect(rc).toBe(0);
    process.stdout.write(
      `bootstrap initramfs: build ${image.cached ? `cached (built in ${image.buildSeconds.toFixed(0)} s)` : `${image.buildSeconds.toFixed(0)} s`}; linux ${(image.sizes.linux! / 1e6).toFixed(1)} MB, initramfs.img ${(image.sizes['initramfs.img']! / 1e6).toFixed(1)} MB, archive ${(image.sizes.archive! / 1e6).toFixed(1)} MB; boot to lookup ${lookupS.toFixed(1)} s, to first heartbeat ${heartbeatS.toFixed(1)} s, to active ${activeS.toFixed(1)} s\n`,
    );
  }, 1_500_000);
});
