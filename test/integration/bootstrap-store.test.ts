/**
 * The bootstrap store against a real store directory, a real Ironic and the driver-service: hand-made
 * archives (the spec's container format, packed with tar) imported or refused with their codes, the list,
 * activation through the service re-pointing every adopted node's driver_info, the files served with the
 * headers Ironic's image cache checks, a second activation changing the URLs, deletion, and the agent
 * reporting the bootstrap uuid it booted from (anvil.bootstrap= on its kernel command line).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../agent/src/cli/main';
import { AgentProcess } from '../helpers/agent-process';
import { useDriverService } from '../helpers/driver-service';
import { enrollNode, waitFor } from '../helpers/ironic';
import { tool } from '../helpers/tools';

const MiB = 1024 * 1024;
const rig = useDriverService({
  prefix: 'anvil-bs-test-',
  env: (work) => ({ ANVIL_BOOTSTRAP_STORE: join(work, 'store'), ANVIL_AGENT_KERNEL_PARAMS: '%default% anvil.lookup_timeout=120' }),
});
const { work, loops, files, agents, api } = rig;
const store = join(work, 'store');

const sh = (cmd: string, args: string[]): string => execFileSync(tool(cmd), args, { encoding: 'utf8' });

async function anvil(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'anvil', ...args], { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') });
  return { code, out, err };
}

/** An archive packed by hand as the spec describes: `tar -czf <uuid>.tar.gz -C dir .` */
function handMade(uuid: string, metadata: string, content: Record<string, string | Buffer>): string {
  const dir = join(work, `src-${uuid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata.yaml'), metadata);
  for (const [name, data] of Object.entries(content)) writeFileSync(join(dir, name), data);
  const file = join(work, `${uuid}-${randomBytes(3).toString('hex')}.tar.gz`);
  sh('tar', ['-czf', file, '-C', dir, '.']);
  return file;
}

const A = randomUUID();
const B = randomUUID();
const KOPTS = 'boot=live fetch=${bs_root_on_server}/root.squashfs';
const kernelA = randomBytes(64 * 1024);

describe('bootstrap store', () => {
  it('imports a hand-made archive and refuses a missing file, a bad checksum and a duplicate label with their codes', async () => {
    const good = handMade(A, `uuid: ${A}\ndistro: ubuntu\nlabel: first\nextend_kopts: "${KOPTS}"\n`, { linux: kernelA, 'initramfs.img': 'initrd A', 'root.squashfs': 'squash A' });
    const ok = await anvil('bootstrap', 'import', good, '--store', store);
    expect(ok).toMatchObject({ code: 0, out: `${A}: imported into ${store} (label first)\n` });

    const noInitrd = handMade(randomUUID(), `uuid: ${randomUUID()}\ndistro: ubuntu\nextend_kopts: ""\n`, { linux: 'k' });
    const missing = await anvil('bootstrap', 'import', noInitrd, '--store', store);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/lacks initramfs\.img.*\[bootstrap\.missing_file\]/);

    const wrong = createHash('sha256').update('something else').digest('hex');
    const badSum = handMade(randomUUID(), `uuid: ${randomUUID()}\ndistro: debian\nextend_kopts: ""\nfiles:\n  linux: { sha256: ${wrong}, size: 1 }\n`, { linux: 'k', 'initramfs.img': 'i' });
    const checksum = await anvil('bootstrap', 'import', badSum, '--store', store);
    expect(checksum.code).toBe(1);
    expect(checksum.err).toMatch(/linux has sha256 [0-9a-f]{64}, metadata\.yaml says .*\[bootstrap\.checksum_mismatch\]/);

    const sameLabel = handMade(randomUUID(), `uuid: ${randomUUID()}\ndistro: debian\nlabel: first\nextend_kopts: ""\n`, { linux: 'k', 'initramfs.img': 'i' });
    const dup = await anvil('bootstrap', 'import', sameLabel, '--store', store);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/labelled first.*\[bootstrap\.duplicate\]/);

    // Refused imports left nothing in the store.
    expect(readdirSync(store)).toEqual([A]);
    const list = await anvil('bootstrap', 'list', '--store', store);
    expect(list.out).toBe(`uuid${' '.repeat(32)} | label | status\n${A} | first | inactive\n`);
    const served = (await (await api('/v1/bootstraps')).json()) as { bootstraps: { uuid: string; status: string; url: string }[] };
    expect(served.bootstraps).toEqual([expect.objectContaining({ uuid: A, status: 'inactive', url: `${rig.service.url}/v1/bootstraps/${A}` })]);
  });

  it('activation re-points every adopted node; the files are served as Ironic’s cache needs; a second image changes the URLs; delete', async () => {
    const client = rig.ironic.client();
    const nodes = [];
    for (const i of [1, 2]) {
      const node = await enrollNode(client, { name: `bs-node-${i}`, mac: `52:54:00:bb:00:0${i}` });
      expect((await anvil('node', 'adopt', node.uuid, '--service', rig.service.url)).code).toBe(0);
      nodes.push(node.uuid);
    }
    const act = await anvil('bootstrap', 'activate', A, '--service', rig.service.url);
    expect(act).toMatchObject({ code: 0, out: `${A}: active on ${rig.service.url}; 2 of 2 adopted node(s) re-pointed\n` });
    const dirA = `${rig.service.url}/v1/bootstraps/${A}`;
    for (const uuid of nodes) {
      expect((await client.getNode(uuid)).driver_info).toMatchObject({
        deploy_kernel: `${dirA}/linux`,
        deploy_ramdisk: `${dirA}/initramfs.img`,
        kernel_append_params: `%default% anvil.lookup_timeout=120 boot=live fetch=${dirA}/root.squashfs anvil.bootstrap=${A}`,
      });
    }
    expect((await anvil('bootstrap', 'list', '--store', store)).out).toContain(`${A} | first | active`);

    // What Ironic's image cache asks (HEAD: Content-Length and Last-Modified) and what iPXE fetches (GET), with ranges.
    const head = await fetch(`${dirA}/linux`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(kernelA.length));
    expect(head.headers.get('last-modified')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(head.headers.get('etag')).toBeTruthy();
    const get = await fetch(`${dirA}/linux`);
    expect(Buffer.from(await get.arrayBuffer()).equals(kernelA)).toBe(true);
    const range = await fetch(`${dirA}/linux`, { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(kernelA.subarray(10, 20))).toBe(true);
    expect(await (await fetch(`${dirA}/root.squashfs`)).text()).toBe('squash A');
    const meta = await fetch(`${dirA}/metadata.yaml`);
    expect(meta.status).toBe(404);
    expect(await meta.json()).toMatchObject({ code: 'bootstrap.not_found' });
    expect((await fetch(`${rig.service.url}/v1/bootstraps/${A}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);

    // A node adopted after the activation gets the same fields.
    const late = await enrollNode(client, { name: 'bs-node-late', mac: '52:54:00:bb:00:09' });
    expect((await anvil('node', 'adopt', late.uuid, '--service', rig.service.url)).code).toBe(0);
    expect((await client.getNode(late.uuid)).driver_info).toMatchObject({ deploy_kernel: `${dirA}/linux`, kernel_append_params: expect.stringContaining(`anvil.bootstrap=${A}`) });
    nodes.push(late.uuid);

    // A second image: the URLs change with the uuid.
    const second = handMade(B, `uuid: ${B}\ndistro: debian\nlabel: second\nformat: initramfs\nextend_kopts: "console=ttyS0"\nfiles:\n  linux: { sha256: ${createHash('sha256').update('kernel B').digest('hex')}, size: 8 }\n`, { linux: 'kernel B', 'initramfs.img': 'initrd B' });
    expect((await anvil('bootstrap', 'import', second, '--store', store)).code).toBe(0);
    const actB = (await (await api(`/v1/bootstraps/${B}/activate`, { method: 'POST' })).json()) as { uuid: string; nodes: { ok: boolean }[] };
    expect(actB).toMatchObject({ uuid: B, nodes: nodes.map(() => expect.objectContaining({ ok: true })) });
    const dirB = `${rig.service.url}/v1/bootstraps/${B}`;
    for (const uuid of nodes) {
      expect((await client.getNode(uuid)).driver_info).toMatchObject({ deploy_kernel: `${dirB}/linux`, deploy_ramdisk: `${dirB}/initramfs.img`, kernel_append_params: `%default% anvil.lookup_timeout=120 console=ttyS0 anvil.bootstrap=${B}` });
    }
    expect(await (await fetch(`${dirB}/linux`)).text()).toBe('kernel B');

    // Delete: the active image is refused, the inactive one goes.
    const refused = await anvil('bootstrap', 'delete', B, '--store', store);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('[bootstrap.is_active]');
    expect((await anvil('bootstrap', 'delete', A, '--store', store)).code).toBe(0);
    expect(existsSync(join(store, A))).toBe(false);
    expect((await fetch(`${dirA}/linux`)).status).toBe(404);
    expect((await anvil('bootstrap', 'list', '--store', store)).out).toBe(`uuid${' '.repeat(32)} | label  | status\n${B} | second | active\n`);
  });

  it('the agent reports the bootstrap uuid it booted from; it shows on the deployment and the node', async () => {
    const dev = loops.create('bs', 96 * MiB);
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    writeFileSync(join(tree, 'etc', 'marker'), 'bootstrap test\n');
    const tarball = join(work, 'root.tar.gz');
    sh('tar', ['-czf', tarball, '-C', tree, '.']);
    files.add('/root.tar.gz', tarball);
    const layout = {
      version: 1,
      disks: [{ id: 'd', select: { name: dev }, table: 'gpt', partitions: [{ id: 'root', size: 'remaining' }] }],
      filesystems: [{ id: 'fs-root', device: 'root', type: 'ext4', label: 'root', mount: { path: '/' } }],
      images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
    };
    const layoutFile = join(work, 'layout.json');
    writeFileSync(layoutFile, JSON.stringify(layout));
    expect((await anvil('layout', 'put', 'bs-one', layoutFile, '--service', rig.service.url)).code).toBe(0);
    const client = rig.ironic.client();
    const mac = '52:54:00:bb:01:01';
    const node = await enrollNode(client, { name: 'bs-deploy', mac });
    expect((await anvil('node', 'adopt', node.uuid, '--service', rig.service.url, '--layout', 'bs-one')).code).toBe(0);
    await client.setProvisionState(node.uuid, 'provide');
    await client.waitForProvisionState(node.uuid, ['available'], { timeoutMs: 60_000, intervalMs: 300 });
    // The kernel command line the node boots with: what activation put in kernel_append_params.
    const cmdline = join(work, 'cmdline');
    writeFileSync(cmdline, `nofb nomodeset BOOTIF=${mac} ${(await client.getNode(node.uuid)).driver_info.kernel_append_params as string}\n`);
    expect(readFileSync(cmdline, 'utf8')).toContain(`anvil.bootstrap=${B}`);
    const agent = await AgentProcess.start({ apiUrl: rig.ironic.url, mac, disks: [dev], dir: join(work, 'agent'), extraArgs: ['--cmdline', cmdline] });
    agents.push(agent);
    const sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    const deploy = await anvil('deploy', node.uuid, '--ironic-url', rig.ironic.url, '--image', files.url('/root.tar.gz'), '--checksum', `sha256:${sum}`, '--service', rig.service.url, '--wait', '--timeout', '120');
    expect(deploy.code).toBe(0);
    const dep = await waitFor('the deployment with the bootstrap uuid', 20_000, async () => {
      const r = await api(`/v1/deployments/${node.uuid}`);
      const body = r.status === 200 ? ((await r.json()) as { state: string; bootstrap_uuid: string | null }) : undefined;
      return body?.state === 'succeeded' ? body : undefined;
    });
    expect(dep.bootstrap_uuid).toBe(B);
    const list = (await (await api('/v1/deployments')).json()) as { deployments: { node_uuid: string; bootstrap_uuid: string | null }[] };
    expect(list.deployments.find((d) => d.node_uuid === node.uuid)?.bootstrap_uuid).toBe(B);
    expect(await (await api(`/v1/nodes/${node.uuid}`)).json()).toMatchObject({ node_uuid: node.uuid, layout: 'bs-one', bootstrap_uuid: B, bootstrap_reported_at: expect.any(String) });
    expect((await api(`/v1/nodes/${randomUUID()}`)).status).toBe(404);
  });
});
