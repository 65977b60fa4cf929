import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@anvil/shared';
import { IronicNode } from '@anvil/shared/openstack';
import { selectLayout } from '../../../../driver-service/src/plan/layout-select';
import { openDatabase, type OpenedDatabase } from '../../../../driver-service/src/store/db';
import { Repository } from '../../../../driver-service/src/store/repository';

const LAYOUT = {
  version: 1,
  disks: [{ id: 'd', select: { name: '/dev/sda' }, table: 'gpt', partitions: [{ id: 'root', size: 'remaining' }] }],
  filesystems: [{ id: 'fs', device: 'root', type: 'ext4', mount: { path: '/' } }],
  images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
  configdrive: { disk: 'd', source: '{{configdrive}}' },
};

describe('choosing the layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-ds-unit-'));
  let repo: Repository;
  let opened: OpenedDatabase;
  beforeAll(async () => {
    opened = await openDatabase({ dataDir: dir, log: silentLogger() });
    repo = new Repository(opened.db);
    for (const name of ['a', 'b', 'from-trait', 'fallback', 'from-image']) await repo.putLayout({ name, plan: LAYOUT, default: name === 'fallback' });
  });
  afterAll(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const node = (fields: Record<string, unknown>) => IronicNode.parse({ uuid: 'n', driver: 'fake-hardware', provision_state: 'wait call-back', ...fields });


  it('instance_info > driver_info > Glance image property > trait > default', async () => {
    expect((await selectLayout(node({ instance_info: { anvil_layout: 'a' }, driver_info: { anvil_layout: 'b' } }), repo)).layout.name).toBe('a');
    expect((await selectLayout(node({ driver_info: { anvil_layout: 'b' }, traits: ['CUSTOM_ANVIL_FROM_TRAIT'] }), repo, undefined, { id: 'i', anvil_layout: 'from-image' })).layout.name).toBe('b');
    expect(await selectLayout(node({ traits: ['CUSTOM_ANVIL_FROM_TRAIT'] }), repo, undefined, { id: 'i', anvil_layout: 'from-image' })).toMatchObject({ layout: { name: 'from-image' }, via: 'Glance image i property anvil_layout' });
    expect((await selectLayout(node({ traits: ['CUSTOM_GPU', 'CUSTOM_ANVIL_FROM_TRAIT'] }), repo)).layout.name).toBe('from-trait');
    expect(await selectLayout(node({}), repo)).toMatchObject({ layout: { name: 'fallback' }, via: 'the service default' });
    await expect(selectLayout(node({ instance_info: { anvil_layout: 'gone' } }), repo)).rejects.toMatchObject({ code: 'metadata.layout_missing' });
  });
});
