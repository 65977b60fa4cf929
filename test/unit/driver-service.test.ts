import { silentLogger } from '@anvil/shared';
import { IronicNode } from '@anvil/shared/openstack';
import { reportTarget } from '../../agent/src/report/http';
import { fillConfigdrive } from '../../agent/src/ramdisk/plan-source';
import { loadConfig } from '../../driver-service/src/config';
import { hashSecret, metadataUrl, newSecret, secretMatches } from '../../driver-service/src/nodes/capability';
import { fillLayout, SAMPLE_GRANT, valuesFromInstanceInfo, withGlanceImage } from '../../driver-service/src/plan/fill';
import { selectLayout } from '../../driver-service/src/plan/layout-select';
import { sql } from 'kysely';
import { openDatabase, type OpenedDatabase } from '../../driver-service/src/store/db';
import { Repository } from '../../driver-service/src/store/repository';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LAYOUT = {
  version: 1,
  disks: [{ id: 'd', select: { name: '/dev/sda' }, table: 'gpt', partitions: [{ id: 'root', size: 'remaining' }] }],
  filesystems: [{ id: 'fs', device: 'root', type: 'ext4', mount: { path: '/' } }],
  images: [{ id: 'os', source: { url: '{{image.url}}' }, checksum: '{{image.checksum}}', format: 'tar', target: { path: '/' } }],
  configdrive: { disk: 'd', source: '{{configdrive}}' },
};
const meta = { nodeUuid: 'n-1', deploymentId: 'dep-1', layout: 'l' };

describe('capabilities', () => {
  it('are 256-bit secrets kept as hashes, compared in constant time, carried in the URL path', () => {
    const s = newSecret();
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(secretMatches(s, hashSecret(s))).toBe(true);
    expect(secretMatches(newSecret(), hashSecret(s))).toBe(false);
    const url = metadataUrl('http://svc:9600/', 'n-1', s);
    expect(url).toBe(`http://svc:9600/v1/metadata/n-1/${s}`);
    expect(reportTarget(url)).toEqual({ url: 'http://svc:9600/v1/nodes/n-1/vendor_passthru/progress', capability: s });
    expect(reportTarget('http://plans/x.json')).toBeUndefined();
  });
});

describe('filling a layout for one deploy', () => {
  it('takes the image, checksum and config drive from instance_info', () => {
    const v = valuesFromInstanceInfo({ image_source: 'http://i/root.tgz', image_os_hash_algo: 'SHA256', image_os_hash_value: 'AB'.repeat(32), configdrive: { meta_data: { a: 1 } } });
    const plan = fillLayout(LAYOUT, v, meta);
    expect(plan.images).toEqual([{ id: 'os', source: { url: 'http://i/root.tgz' }, checksum: `sha256:${'ab'.repeat(32)}`, format: 'tar', target: { path: '/' } }]);
    expect(plan.configdrive).toEqual({ disk: 'd', source: { meta_data: { a: 1 } } });
    expect(plan.metadata).toEqual({ node_uuid: 'n-1', deployment_id: 'dep-1', name: 'l' });
  });

  it('leaves out what has nothing to fill, keeps a masked config drive for the agent, and marks md5 as allowed', () => {
    expect(fillLayout(LAYOUT, {}, meta)).not.toHaveProperty('images');
    expect(fillLayout(LAYOUT, {}, meta)).not.toHaveProperty('configdrive');
    const masked = fillLayout(LAYOUT, valuesFromInstanceInfo({ image_source: 'http://i/x', image_checksum: 'f83e7ea6f12b4529e6174d15928df726', configdrive: '******' }), meta);
    expect(masked.configdrive).toEqual({ disk: 'd', source: '{{configdrive}}' });
    expect((masked.images as Record<string, unknown>[])[0]).toMatchObject({ checksum: 'md5:f83e7ea6f12b4529e6174d15928df726', allow_md5: true });
  });

  it('a Glance image: its checksum and format fill what instance_info left open, and the grant replaces the URL source', () => {
    const v = valuesFromInstanceInfo({ image_source: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' });
    expect(v).toEqual({ glanceImageId: '7f1a4ec4-59b5-4be3-a2e5-17e5a6b1f001' });
    expect(() => fillLayout(LAYOUT, v, meta)).toThrow(expect.objectContaining({ code: 'metadata.glance_unresolved' }));
    const withImage = withGlanceImage(v, { os_hash_algo: 'SHA512', os_hash_value: 'AB'.repeat(64), checksum: 'f'.repeat(32), disk_format: 'qcow2' });
    expect(withImage).toMatchObject({ checksum: `sha512:${'ab'.repeat(64)}`, format: 'qcow2' });
    expect(withGlanceImage({ ...v, checksum: 'sha256:' + '1'.repeat(64), format: 'raw' }, { os_hash_algo: 'sha512', os_hash_value: 'a', disk_format: 'qcow2' })).toMatchObject({ checksum: 'sha256:' + '1'.repeat(64), format: 'raw' });
    expect(withGlanceImage(v, { checksum: 'F'.repeat(32) }).checksum).toBe(`md5:${'f'.repeat(32)}`);
    const filled = fillLayout(LAYOUT, { ...withImage, glance: SAMPLE_GRANT }, meta);
    const image = (filled.images as Record<string, unknown>[])[0]!;
    expect(image.source).toEqual({ glance: SAMPLE_GRANT });
    expect(image.checksum).toBe(`sha512:${'ab'.repeat(64)}`);
  });

  it('the agent fills the masked config drive from the node the conductor sent, or drops it', () => {
    const text = JSON.stringify({ version: 1, configdrive: { disk: 'd', source: '{{configdrive}}' } });
    const node = { uuid: 'n', driver_info: {}, instance_info: { configdrive: 'H4sIcd' } };
    expect(JSON.parse(fillConfigdrive(text, node))).toEqual({ version: 1, configdrive: { disk: 'd', source: 'H4sIcd' } });
    expect(JSON.parse(fillConfigdrive(text, { ...node, instance_info: {} }))).toEqual({ version: 1 });
  });
});

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

  it('migrations are recorded and run once; reopening keeps the data', async () => {
    const again = await openDatabase({ dataDir: dir, log: silentLogger() });
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM anvil_migrations`.execute(again.db);
    expect(rows.rows[0]!.n).toBe(1);
    const second = new Repository(again.db);
    expect((await second.layouts()).map((l) => l.name)).toEqual(['a', 'b', 'fallback', 'from-image', 'from-trait']);
    await again.close();
  });

  it('one open deployment per node, however many begin it; a lease is held by one replica at a time', async () => {
    const base = { node_uuid: 'n1', layout: 'a', state: 'planned' as const, stage: null, step: null, steps: null, bytes: null, bytes_total: null, rate_bps: null, eta_seconds: null, error: null, started_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', closed_at: null };
    const [x, y] = await Promise.all([repo.insertOpenDeployment({ ...base, id: 'x' }), repo.insertOpenDeployment({ ...base, id: 'y' })]);
    expect(x.id).toBe(y.id);
    expect(await repo.leaseDeployment(x.id, 'replica-1', 60_000)).toBe(true);
    expect(await repo.leaseDeployment(x.id, 'replica-2', 60_000)).toBe(false);
    expect(await repo.leaseDeployment(x.id, 'replica-1', 60_000)).toBe(true);
    await repo.updateDeployment({ ...x, closed_at: '2026-01-01T00:01:00.000Z' });
    expect(await repo.leaseDeployment(x.id, 'replica-1', 60_000)).toBe(false);
    expect((await repo.insertOpenDeployment({ ...base, id: 'z' })).id).toBe('z');
  });

  it('SQLite: the WAL is checkpointed into the database file by the worker, not by commits', async () => {
    const own = mkdtempSync(join(tmpdir(), 'anvil-ds-wal-'));
    const db = await openDatabase({ dataDir: own, log: silentLogger() });
    try {
      const file = join(own, 'anvil.sqlite');
      // Commits never checkpoint …
      expect((await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db.db)).rows[0]?.wal_autocheckpoint).toBe(0);
      await sql`CREATE TABLE filler (x TEXT)`.execute(db.db);
      const before = statSync(file).size;
      for (let i = 0; i < 1500; i++) await sql`INSERT INTO filler VALUES (${'x'.repeat(2000)})`.execute(db.db);
      // … yet the rows reach the database file: the checkpointer's rounds copied them there.
      const deadline = Date.now() + 5000;
      while (statSync(file).size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(statSync(file).size).toBeGreaterThan(before + 1000 * 2000);
    } finally {
      await db.close();
    }
    expect(statSync(join(own, 'anvil.sqlite-wal'), { throwIfNoEntry: false })?.size ?? 0).toBe(0); // truncated on close
    rmSync(own, { recursive: true, force: true });
  });
});

describe('configuration', () => {
  it('comes from ANVIL_* variables, validated, naming the variable on errors', () => {
    const c = loadConfig(undefined, { ANVIL_PUBLIC_URL: 'http://svc:9600', ANVIL_IRONIC_URL: 'http://ironic:6385', ANVIL_LISTEN_PORT: '9700' });
    expect(c).toMatchObject({ listen_port: 9700, listen_host: '127.0.0.1', auth: 'noauth' });
    expect(() => loadConfig(undefined, { ANVIL_IRONIC_URL: 'http://ironic:6385' })).toThrow(/public_url \(ANVIL_PUBLIC_URL\)/);
  });
});
