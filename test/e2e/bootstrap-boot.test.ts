import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BS_ROOT_PLACEHOLDER } from '@anvil/shared';
import type { IronicClient } from '@anvil/shared/openstack';
import { bootstrapImage, type BuiltBootstrap } from '../helpers/bootstrap';
import { FileServer } from '../helpers/http-server';
import { enrollNode, freePort, IronicServer, waitFor } from '../helpers/ironic';

/**
 * The bootstrap image `anvil bootstrap build` makes, booted as the deploy ramdisk of a real Ironic node
 * (fake-hardware power, custom-agent deploy): the `initramfs` format (built once per run, cached by its
 * inputs under /var/tmp/anvil-bootstrap), QEMU direct kernel boot, the NIC on QEMU user networking. The agent
 * reaches Ironic through the user network's gateway (10.0.2.2 is the host's loopback) and Ironic reaches the
 * agent through a hostfwd port, which the agent advertises (anvil.advertise_host/anvil.advertise_port).
 * systemd starts the agent from its unit and networkd gets the lease; the node then deploys a small plan
 * onto the VM's virtio disk and goes active, and the agent powers the VM off. The `live` format (root.squashfs
 * fetched from a loopback HTTP server by live-boot) the same way.
 */
const work = mkdtempSync(join(tmpdir(), 'anvil-bs-boot-'));
let ironic: IronicServer;
let client: IronicClient;
const vms: ChildProcess[] = [];

const plan = {
  version: 1,
  metadata: { deployment_id: 'bootstrap-e2e-1' },
  disks: [{ id: 'd0', select: { serial: 'anvil-disk0' }, partitions: [{ id: 'p-root', size: 'remaining' }] }],
  filesystems: [{ id: 'fs-root', device: 'p-root', type: 'ext4', label: 'bs-e2e', mount: { path: '/' } }],
};

beforeAll(async () => {
  ironic = await IronicServer.start({ conf: { api: { ramdisk_heartbeat_timeout: 30 }, conductor: { deploy_callback_timeout: 900 } } });
  client = ironic.client();
}, 120_000);

afterAll(async () => {
  for (const vm of vms) if (vm.exitCode === null) vm.kill('SIGKILL');
  await ironic?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface BootFigures {
  readonly lookupS: number;
  readonly heartbeatS: number;
  readonly activeS: number;
}

/** Enrolls a node, deploys it, boots the image as its ramdisk and follows it to active; returns the times from QEMU's start. */
async function deployWith(name: string, mac: string, image: BuiltBootstrap, kopts: string): Promise<BootFigures> {
  const node = await enrollNode(client, { name, mac, instanceInfo: { anvil_plan: plan }, provide: true });
  await client.setProvisionState(node.uuid, 'active');
  // waitForProvisionState wants a settled state; wait call-back (→ active) is a transitional one
  await waitFor('the node waiting for its agent', 60_000, async () => ((await client.getNode(node.uuid)).provision_state === 'wait call-back' ? true : undefined), 500);
  const agentPort = await freePort();
  const apiPort = new URL(ironic.url).port;
  const disk = join(work, `${name}-disk0.img`);
  writeFileSync(disk, '');
  truncateSync(disk, 256 * 1024 * 1024);
  const append = ['console=ttyS0', 'panic=-1', `ipa-api-url=http://10.0.2.2:${apiPort}`, `BOOTIF=${mac}`, 'anvil.advertise_host=127.0.0.1', `anvil.advertise_port=${agentPort}`, kopts].filter(Boolean).join(' ');
  const args = ['-accel', 'tcg,thread=multi', '-m', '3072', '-smp', '2', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-kernel', image.files.linux, '-initrd', image.files.initramfs, '-append', append, '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${agentPort}-:9999`, '-device', `virtio-net-pci,netdev=n0,mac=${mac}`, '-drive', `file=${disk},if=none,id=d0,format=raw,cache=unsafe`, '-device', 'virtio-blk-pci,drive=d0,serial=anvil-disk0'];
  const t0 = Date.now();
  let lookupAt: number | undefined;
  let consoleText = '';
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  vms.push(qemu);
  const onData = (d: Buffer): void => {
    consoleText += d.toString('utf8');
    if (lookupAt === undefined && consoleText.includes('lookup found the node')) lookupAt = Date.now();
  };
  qemu.stdout!.on('data', onData);
  qemu.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => qemu.on('close', (c) => r(c)));
  const tailText = (): string => `\n--- console ---\n${consoleText.replace(/\r/g, '').slice(-6000)}`;
  try {
    const heartbeat = await waitFor('the agent’s first heartbeat', 600_000, async () => {
      if (qemu.exitCode !== null) throw new Error(`QEMU exited (${qemu.exitCode})`);
      const n = await client.getNode(node.uuid);
      const dii = (n.driver_internal_info ?? {}) as Record<string, unknown>;
      return dii.agent_url && dii.agent_last_heartbeat ? dii : undefined;
    }, 1000).catch((err: unknown) => {
      throw new Error(`${String(err)}${tailText()}`);
    });
    const heartbeatS = (Date.now() - t0) / 1000;
    expect(heartbeat.agent_url).toBe(`http://127.0.0.1:${agentPort}`);
    expect(lookupAt).toBeDefined();
    const done = await waitFor('the node active', 600_000, async () => {
      const n = await client.getNode(node.uuid);
      if (n.provision_state === 'deploy failed') throw new Error(`deploy failed: ${n.last_error ?? ''}`);
      return n.provision_state === 'active' ? n : undefined;
    }, 1000).catch((err: unknown) => {
      throw new Error(`${String(err)}${tailText()}`);
    });
    const activeS = (Date.now() - t0) / 1000;
    expect(done.last_error ?? null).toBeNull();
    // standby.power_off: a ramdisk agent powers the machine off, and QEMU (-no-reboot) ends
    const rc = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 180_000))]);
    expect(rc).toBe(0);
    return { lookupS: (lookupAt! - t0) / 1000, heartbeatS, activeS };
  } finally {
    if (process.env.ANVIL_VM_LOG) writeFileSync(join(process.env.ANVIL_VM_LOG, `bootstrap-${name}.console.log`), consoleText);
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
  }
}

function figures(format: string, image: BuiltBootstrap, f: BootFigures): string {
  const sizes = Object.entries(image.sizes).map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} MB`).join(', ');
  return `bootstrap ${format}: build ${image.buildSeconds.toFixed(0)} s${image.cached ? ' (cached)' : ''}; ${sizes}; boot to lookup ${f.lookupS.toFixed(1)} s, first heartbeat ${f.heartbeatS.toFixed(1)} s, active ${f.activeS.toFixed(1)} s\n`;
}

describe('anvil bootstrap build: the initramfs format as a real Ironic node’s deploy ramdisk', () => {
  let image: BuiltBootstrap;
  beforeAll(async () => {
    image = await bootstrapImage('initramfs');
  }, 1_200_000);

  it('records what it holds in metadata.yaml', () => {
    expect(image.metadata).toMatchObject({ distro: 'debian', format: 'initramfs', release: 'bookworm', node_version: process.version, extend_kopts: '' });
    expect(image.metadata.kernel_version).toMatch(/-amd64$/);
    expect(Object.keys(image.metadata.files ?? {}).sort()).toEqual(['initramfs.img', 'linux']);
  });

  it('boots, looks the node up, heartbeats, deploys the plan to the virtio disk and powers off', async () => {
    const f = await deployWith('bs-initramfs', '52:54:00:b5:00:01', image, image.metadata.extend_kopts);
    process.stdout.write(figures('initramfs', image, f));
  }, 1_500_000);
});

describe('anvil bootstrap build: the live format (root.squashfs fetched at boot)', () => {
  let image: BuiltBootstrap;
  const files = new FileServer();
  beforeAll(async () => {
    image = await bootstrapImage('live');
    await files.start();
  }, 1_200_000);
  afterAll(async () => {
    await files.stop();
  });

  it('boots with live-boot fetching root.squashfs over HTTP, and deploys', async () => {
    expect(image.metadata.extend_kopts).toBe(`boot=live fetch=${BS_ROOT_PLACEHOLDER}/root.squashfs`);
    files.add('/bs/root.squashfs', image.files.squashfs!);
    const root = files.url('/bs').replace('127.0.0.1', '10.0.2.2');
    const f = await deployWith('bs-live', '52:54:00:b5:00:02', image, image.metadata.extend_kopts.replace(BS_ROOT_PLACEHOLDER, root));
    process.stdout.write(figures('live', image, f));
  }, 1_500_000);
});
