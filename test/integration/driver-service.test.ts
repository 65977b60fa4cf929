/**
 * The driver-service against a real Ironic, with the real agent as the node's ramdisk: adoption writes
 * driver_info, the capability URL answers only during the deploy and only with the right secret, the plan
 * is compiled from a stored layout and instance_info, progress is visible while the agent writes, and the
 * capability is rotated once Ironic shows the deploy over.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../agent/src/cli/main';
import { AgentProcess } from '../helpers/agent-process';
import { useDriverService } from '../helpers/driver-service';
import { enrollNode, waitFor } from '../helpers/ironic';
import { blkid, mountsUnder } from '../helpers/loop';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const rig = useDriverService({ prefix: 'anvil-ds-test-' });
const { work, loops, files, agents, api } = rig;
let tarball: string;

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });

const LAYOUT = {
  version: 1,
  disks: [{ id: 'd', select: { name: '@DEV@' }, table: 'gpt', partitions: [{ id: 'root', size: '96MiB' }, { id: 'data', size: 'remaining' }] }],
  filesystems: [
    { id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } },
    { id: 'fs-data', device: 'data', type: 'ext4', label: 'data', mount: { path: '/srv' } },
  ],
  images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
  configdrive: { disk: 'd', source: '{{configdrive}}', size: '16MiB' },
};

beforeAll(() => {
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'anvil-marker'), 'deployed by the driver-service\n');
  writeFileSync(join(tree, 'payload.bin'), randomBytes(6 * MiB));
  tarball = join(work, 'root.tar.gz');
  sh('tar', ['-czf', tarball, '-C', tree, '.']);
  files.add('/root.tar.gz', tarball, { rateBps: 2 * MiB });
});

describe('driver-service', () => {
  it('validates layouts on write and reports where they are wrong', async () => {
    const bad = await api('/v1/layouts/broken', { method: 'PUT', body: JSON.stringify({ plan: { version: 1, disks: [{ id: 'd', select: { name: '/dev/sda' }, partitions: [{ id: 'p', size: '12 GiBs' }] }] } }) });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: 'layout.invalid', entries: [expect.objectContaining({ pointer: '/disks/0/partitions/0/size', code: 'size.invalid' })] });
    expect((await api('/v1/layouts/broken')).status).toBe(404);
  });

  it('adopts a node, serves its plan only during the deploy with the right secret, shows progress, and rotates the capability after', async () => {
    const dev = loops.create('ds', 160 * MiB);
    const layout = JSON.parse(JSON.stringify(LAYOUT).replace('@DEV@', dev)) as Record<string, unknown>;
    const layoutFile = join(work, 'two-fs.json');
    writeFileSync(layoutFile, JSON.stringify(layout));
    const say: string[] = [];
    const io = { out: (t: string) => void say.push(t), err: (t: string) => void say.push(t) };
    expect(await main(['node', 'anvil', 'layout', 'put', 'two-fs', layoutFile, '--service', rig.service.url, '--description', 'root + /srv, tarball, config drive'], io)).toBe(0);
    expect(await main(['node', 'anvil', 'layout', 'list', '--service', rig.service.url], io)).toBe(0);
    expect(say).toEqual(['layout two-fs stored', expect.stringMatching(/^two-fs\t.*\troot \+ \/srv, tarball, config drive$/)]);

    const client = rig.ironic.client();
    const mac = '52:54:00:cc:00:01';
    const node = await enrollNode(client, { name: 'ds-node', mac });
    await client.patchNode(node.uuid, [{ op: 'replace', path: '/deploy_interface', value: 'fake' }]);

    expect(await main(['node', 'anvil', 'node', 'adopt', 'ds-node', '--service', rig.service.url, '--layout', 'two-fs'], io)).toBe(0);
    expect(say.at(-1)).toBe(`${node.uuid}: adopted (deploy interface custom-agent, layout two-fs); driver_info.anvil_metadata_url is set`);
    const enrolled = await client.getNode(node.uuid);
    expect(enrolled.deploy_interface).toBe('custom-agent');
    expect(enrolled.driver_info).toMatchObject({ anvil_metadata_url: expect.stringMatching(new RegExp(`^${rig.service.url}/v1/metadata/${node.uuid}/[A-Za-z0-9_-]{43}$`)), anvil_layout: 'two-fs' });
    const adoption = { metadata_url: enrolled.driver_info.anvil_metadata_url as string };
    const secret = adoption.metadata_url.split('/').pop()!;
    expect(Buffer.from(secret, 'base64url').length).toBe(32);

    // Outside the deploy window, and with a wrong secret: refused.
    const early = await fetch(adoption.metadata_url);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ code: 'metadata.not_deploying' });
    const forged = await fetch(adoption.metadata_url.replace(secret, randomBytes(32).toString('base64url')));
    expect(forged.status).toBe(403);

    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    const agent = await AgentProcess.start({ apiUrl: rig.ironic.url, mac, disks: [dev], dir: join(work, 'agent') });
    agents.push(agent);
    const sse = new AbortController();
    const seen: { state: string; stage: string | null; bytes: number | null }[] = [];
    const watching = (async () => {
      const res = await fetch(`${rig.service.url}/v1/deployments/${node.uuid}/events`, { signal: sse.signal });
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const data = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
          buf = buf.slice(i + 2);
          if (data) seen.push(JSON.parse(data.slice(6)) as { state: string; stage: string | null; bytes: number | null });
        }
      }
    })().catch(() => undefined);
    const t0 = Date.now();
    // The operator's command: instance_info from flags, the config drive from a file, progress while waiting.
    const cdFile = join(work, 'configdrive.json');
    writeFileSync(cdFile, JSON.stringify({ meta_data: { hostname: 'ds-node' }, user_data: '#cloud-config\n' }));
    const cliOut: string[] = [];
    const cliErr: string[] = [];
    const deploying = main(
      ['node', 'anvil', 'deploy', 'ds-node', '--ironic-url', rig.ironic.url, '--image', files.url('/root.tar.gz'), '--checksum', `sha256:${createHash('sha256').update(readFileSync(tarball)).digest('hex')}`, '--configdrive', cdFile, '--service', rig.service.url, '--wait', '--timeout', '120'],
      { out: (t) => void cliOut.push(t), err: (t) => void cliErr.push(t) },
    );

    // While the agent writes, the operator sees the stage and the bytes.
    type Dep = { state: string; stage: string | null; bytes: number | null; bytes_total: number | null; closed_at: string | null };
    const deployment = async (): Promise<Dep | undefined> => {
      const r = await api(`/v1/deployments/${node.uuid}`);
      return r.status === 200 ? ((await r.json()) as Dep) : undefined;
    };
    const midway = await waitFor('progress while the image is written', 60_000, async () => {
      const dep = await deployment();
      return dep && dep.state === 'running' && dep.stage?.startsWith('extract_image') && (dep.bytes ?? 0) > 0 && (dep.bytes ?? 0) < (dep.bytes_total ?? 0) ? dep : undefined;
    }, 200);
    expect(midway.bytes_total).toBe(readFileSync(tarball).length);

    expect(await deploying).toBe(0);
    expect(cliOut).toEqual(['ds-node: active']);
    expect(cliErr.some((l) => /extract_image os {2}\[#*\.*\] \d+% /.test(l))).toBe(true); // the progress bar
    const done = await client.getNode(node.uuid);
    expect(done).toMatchObject({ provision_state: 'active', instance_info: expect.objectContaining({ image_os_hash_algo: 'sha256' }) });
    expect(done.last_error ?? null).toBeNull();
    expect(await agent.exited).toBe(0);
    // Closed: Ironic showed the deploy over and the capability was rotated.
    const finished = await waitFor('the deployment to be closed', 20_000, async () => {
      const dep = await deployment();
      return dep?.closed_at ? dep : undefined;
    }, 200);
    expect(finished).toMatchObject({ state: 'succeeded', layout: 'two-fs' });
    sse.abort();
    await watching;
    expect(seen.some((d) => d.state === 'running' && (d.bytes ?? 0) > 0)).toBe(true);
    expect(seen.at(-1)?.state).toBe('succeeded');

    // The capability the agent used no longer works; Ironic holds a new one.
    const after = await client.getNode(node.uuid);
    expect(after.driver_info.anvil_metadata_url).not.toBe(adoption.metadata_url);
    expect((await fetch(adoption.metadata_url)).status).toBe(403);

    // What the agent built: the layout's filesystems, the tarball in root, fstab by UUID, the config drive.
    expect(blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'root' });
    expect(blkid(`${dev}p2`)).toMatchObject({ TYPE: 'ext4', LABEL: 'data' });
    expect(blkid(`${dev}p3`)).toMatchObject({ LABEL: 'config-2' });
    const mnt = join(work, 'mnt');
    mkdirSync(mnt, { recursive: true });
    sh('mount', ['-o', 'ro', `${dev}p1`, mnt]);
    try {
      expect(readFileSync(join(mnt, 'etc/anvil-marker'), 'utf8')).toBe('deployed by the driver-service\n');
      expect(readFileSync(join(mnt, 'etc/fstab'), 'utf8')).toContain(`UUID=${blkid(`${dev}p2`).UUID} /srv ext4`);
    } finally {
      for (const m of mountsUnder(mnt)) sh('umount', [m]);
    }
    process.stdout.write(`driver-service deploy (layout + tarball + config drive) to active: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/anvil_plan_fetches_total\{outcome="served"\} [1-9]/);
    expect((await api('/healthz')).status).toBe(200);
    expect((await api('/readyz')).status).toBe(200);
    expect(await (await api('/docs')).text()).toContain('swagger-ui-bundle.js');
  });
});
