import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnvilError, silentLogger } from '@anvil/shared';
import type { JsonPatchOp } from '@anvil/shared/openstack';
import { serveApp } from '../../helpers/service-app';
import type { ServiceDeps } from '../../../driver-service/src/deps';

/** The bootstrap routes on a temp store, with an Ironic that records patches (one node refuses). */
describe('driver-service bootstrap routes', () => {
  const store = mkdtempSync(join(tmpdir(), 'anvil-bs-svc-'));
  const uuid = randomUUID();
  const patches: { node: string; ops: readonly JsonPatchOp[] }[] = [];
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    mkdirSync(join(store, uuid));
    writeFileSync(join(store, uuid, 'metadata.yaml'), `uuid: ${uuid}\ndistro: debian\nlabel: u\nextend_kopts: "fetch=\${bs_root_on_server}/root.squashfs"\n`);
    writeFileSync(join(store, uuid, 'linux'), '0123456789abcdef');
    writeFileSync(join(store, uuid, 'initramfs.img'), 'initrd');
    writeFileSync(join(store, uuid, 'root.squashfs'), 'squash');
    const open = (): ((_req: unknown, _res: unknown, next: () => void) => void) => (_req, _res, next) => next();
    const deps = {
      log: silentLogger(),
      auth: { require: open },
      config: { bootstrap_store: store, public_url: 'http://svc:9600', agent_kernel_params: '%default%' },
      repo: { nodes: () => Promise.resolve([{ uuid: 'n1' }, { uuid: 'n2' }]) },
      ironic: {
        patchNode: (node: string, ops: readonly JsonPatchOp[]) => {
          if (node === 'n2') return Promise.reject(new AnvilError('ironic.http_409', 'node n2 is locked'));
          patches.push({ node, ops });
          return Promise.resolve({});
        },
      },
      metrics: {},
    } as unknown as ServiceDeps;
    ({ base, close } = await serveApp(deps));
  });
  afterAll(() => close());

  it('serves the boot files with Content-Length, Last-Modified, ETag and ranges; nothing else', async () => {
    const head = await fetch(`${base}/v1/bootstraps/${uuid}/linux`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('16');
    expect(head.headers.get('last-modified')).toMatch(/GMT$/);
    expect(head.headers.get('etag')).toBeTruthy();
    const range = await fetch(`${base}/v1/bootstraps/${uuid}/linux`, { headers: { range: 'bytes=4-7' } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('4567');
    for (const path of [`${uuid}/metadata.yaml`, `${randomUUID()}/linux`, 'active/linux', `${uuid}/..%2fmetadata.yaml`]) {
      const r = await fetch(`${base}/v1/bootstraps/${path}`);
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ code: 'bootstrap.not_found' });
    }
  });

  it('activates: switches the link and patches every adopted node, reporting the one Ironic refused', async () => {
    const r = await fetch(`${base}/v1/bootstraps/${uuid}/activate`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ uuid, label: 'u', nodes: [{ node_uuid: 'n1', ok: true }, { node_uuid: 'n2', ok: false, error: 'node n2 is locked [ironic.http_409]' }] });
    expect(readlinkSync(join(store, 'active'))).toBe(uuid);
    const dir = `http://svc:9600/v1/bootstraps/${uuid}`;
    expect(patches).toEqual([
      {
        node: 'n1',
        ops: [
          { op: 'add', path: '/driver_info/deploy_kernel', value: `${dir}/linux` },
          { op: 'add', path: '/driver_info/deploy_ramdisk', value: `${dir}/initramfs.img` },
          { op: 'add', path: '/driver_info/kernel_append_params', value: `%default% fetch=${dir}/root.squashfs anvil.bootstrap=${uuid}` },
        ],
      },
    ]);
    const list = (await (await fetch(`${base}/v1/bootstraps`)).json()) as { bootstraps: { uuid: string; status: string }[] };
    expect(list.bootstraps).toEqual([expect.objectContaining({ uuid, status: 'active', url: dir })]);
    expect((await fetch(`${base}/v1/bootstraps/${randomUUID()}/activate`, { method: 'POST' })).status).toBe(404);
  });
});
