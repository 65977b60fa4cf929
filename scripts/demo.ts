/**
 * The main job on one machine: real Ironic (noauth, SQLite), the driver-service (SQLite) and an agent on
 * this machine acting as a bare-metal node whose disks are two loop devices. A layout with two GPT disks
 * (/boot, root, swap, /var as XFS on the second disk, a config drive) is stored in the service, the node adopted,
 * and `anvil deploy` drives it through Ironic's custom-agent deploy: the conductor calls the agent, the agent
 * fetches its plan from the node's metadata URL and writes the disks, reporting progress. Then the result
 * is printed. Run as root: `npm run demo` (installs what it needs first). `--keep` leaves it all running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@anvil/shared';
import { IronicClient } from '@anvil/shared/openstack';
import { loadConfig, startService } from '../driver-service/src';
import { AgentProcess } from '../test/helpers/agent-process';
import { FileServer } from '../test/helpers/http-server';
import { enrollNode, freePort, IronicServer } from '../test/helpers/ironic';
import { LoopDisks, mountsUnder } from '../test/helpers/loop';

const MiB = 1024 * 1024;
const ANVIL = join(__dirname, '../agent/bin/anvil.cjs');
const keep = process.argv.includes('--keep');
const say = (s: string): void => void process.stdout.write(`\x1b[1m==> ${s}\x1b[0m\n`);

/** Runs the anvil CLI as an operator would, showing its output. */
function anvil(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`$ anvil ${args.join(' ')}\n`);
    const p = spawn(process.execPath, [ANVIL, ...args], { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`anvil ${args[0]} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root (loop devices): sudo npm run demo');
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'anvil-demo-'));
  const loops = new LoopDisks();
  const files = new FileServer();
  say('starting Ironic (noauth, SQLite, fake-hardware + custom-agent)');
  const ironic = await IronicServer.start();
  const port = await freePort();
  say('starting the driver-service (SQLite)');
  const service = await startService(loadConfig(undefined, { ANVIL_LISTEN_PORT: String(port), ANVIL_PUBLIC_URL: `http://127.0.0.1:${port}`, ANVIL_DATA_DIR: join(work, 'service'), ANVIL_IRONIC_URL: ironic.url }), { log: silentLogger(), watchIntervalMs: 1000 });
  let agent: AgentProcess | undefined;
  try {
    say('building an OS tree image and serving it over HTTP');
    const tree = join(work, 'tree');
    for (const d of ['etc', 'usr/bin', 'var/log', 'boot']) mkdirSync(join(tree, d), { recursive: true });
    writeFileSync(join(tree, 'etc', 'os-release'), 'NAME="Anvil demo"\nID=anvil-demo\n');
    writeFileSync(join(tree, 'etc', 'hostname'), 'demo\n');
    writeFileSync(join(tree, 'usr', 'bin', 'payload'), randomBytes(24 * MiB));
    const image = join(work, 'root.tar.gz');
    execFileSync('tar', ['-czf', image, '-C', tree, '.']);
    await files.start();
    files.add('/root.tar.gz', image, { rateBps: 8 * MiB });
    const checksum = `sha256:${createHash('sha256').update(readFileSync(image)).digest('hex')}`;

    const disks = [loops.create('sda', 512 * MiB), loops.create('sdb', 512 * MiB)];
    const layout = {
      version: 1,
      disks: [
        { id: 'sys', select: { name: disks[0] }, table: 'gpt', partitions: [{ id: 'boot', size: '96MiB' }, { id: 'root', size: '288MiB' }, { id: 'swap', size: '64MiB', type: 'swap' }] },
        { id: 'data', select: { name: disks[1] }, table: 'gpt', partitions: [{ id: 'var', size: 'remaining' }] },
      ],
      filesystems: [
        { id: 'fs-boot', device: 'boot', type: 'ext4', label: 'boot', mount: { path: '/boot' } },
        { id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } },
        { id: 'fs-swap', device: 'swap', type: 'swap', label: 'swap' },
        { id: 'fs-var', device: 'var', type: 'xfs', label: 'var', mount: { path: '/var', options: ['noatime'] } },
      ],
      images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
      configdrive: { disk: 'sys', source: '{{configdrive}}', size: '16MiB' },
    };
    const layoutFile = join(work, 'layout.json');
    writeFileSync(layoutFile, JSON.stringify(layout, null, 2));
    say('storing the layout in the driver-service');
    await anvil(['layout', 'put', 'demo', layoutFile, '--service', service.url, '--description', 'two GPT disks: /boot, root, swap; /var (xfs) on the second; config drive']);

    say('enrolling a node in Ironic (its "disks" are the loop devices ' + disks.join(', ') + ')');
    const client = new IronicClient({ endpoint: ironic.url });
    const mac = '52:54:00:de:00:01';
    const node = await enrollNode(client, { name: 'demo-node', mac, provide: true });
    await anvil(['node', 'adopt', 'demo-node', '--service', service.url, '--layout', 'demo']);

    say('booting the "ramdisk": the agent on this machine looks the node up in Ironic and heartbeats');
    agent = await AgentProcess.start({ apiUrl: ironic.url, mac, disks, dir: join(work, 'agent') });
    const cd = join(work, 'configdrive.json');
    writeFileSync(cd, JSON.stringify({ meta_data: { hostname: 'demo-node', public_keys: { demo: 'ssh-ed25519 AAAA demo' } }, user_data: '#cloud-config\nfinal_message: deployed by anvil\n' }));
    say('deploying: Ironic custom-agent → agent → metadata URL → plan → disks');
    const tDeploy = Date.now();
    await anvil(['deploy', 'demo-node', '--ironic-url', ironic.url, '--image', files.url('/root.tar.gz'), '--checksum', checksum, '--configdrive', cd, '--service', service.url, '--wait', '--timeout', '300']);
    const deploySeconds = (Date.now() - tDeploy) / 1000;

    say('the resulting layout');
    process.stdout.write(execFileSync('lsblk', ['-o', 'NAME,SIZE,TYPE', ...disks], { encoding: 'utf8' }));
    // lsblk's filesystem columns come from udev, which a ramdisk-less host may not run: blkid reads the disks.
    const parts = disks.flatMap((d) => execFileSync('lsblk', ['-lnpo', 'NAME,TYPE', d], { encoding: 'utf8' }).split('\n').filter((l) => l.endsWith(' part')).map((l) => l.split(' ')[0]!));
    for (const p of parts) process.stdout.write(execFileSync('blkid', ['-o', 'full', p], { encoding: 'utf8' }).replace(/ (PARTUUID|BLOCK_SIZE)="[^"]*"/g, ''));
    const root = join(work, 'mnt');
    mkdirSync(root);
    execFileSync('mount', ['-o', 'ro', `${disks[0]}p2`, root]);
    try {
      process.stdout.write(`\n/etc/fstab written by the agent:\n${readFileSync(join(root, 'etc', 'fstab'), 'utf8')}`);
      process.stdout.write(`/etc/os-release from the image: ${readFileSync(join(root, 'etc', 'os-release'), 'utf8').split('\n')[0]}\n`);
    } finally {
      execFileSync('umount', [root]);
    }
    const dep = (await (await fetch(`${service.url}/v1/deployments/${node.uuid}`)).json()) as Record<string, unknown>;
    process.stdout.write(`\ndeployment ${String(dep.id)}: ${String(dep.state)}, layout ${String(dep.layout)}, ${String(dep.bytes_total)} image bytes\n`);
    say(`done: deploy ${deploySeconds.toFixed(1)} s, whole demo ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (keep) {
      say(`kept running: Ironic ${ironic.url}, driver-service ${service.url}, disks ${disks.join(' ')}; Ctrl-C ends it`);
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
  } finally {
    await agent?.stop();
    await service.close();
    await files.stop();
    await ironic.stop();
    for (const mp of mountsUnder(work)) execFileSync('umount', ['--lazy', mp], { stdio: 'ignore' });
    loops.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
