import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { silentLogger } from '@anvil/shared';
import { openDatabase } from '../../../driver-service/src/store/db';
import { Repository } from '../../../driver-service/src/store/repository';
import { useServiceStore } from '../../helpers/service-store';

describe('the store', () => {
  const store = useServiceStore();

  it('migrations are recorded and run once; reopening keeps the data', async () => {
    const again = await openDatabase({ dataDir: store.dir, log: silentLogger() });
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM anvil_migrations`.execute(again.db);
    expect(rows.rows[0]!.n).toBe(3); // 001_initial, 002_bootstrap_uuid, 003_node_inventories
    const second = new Repository(again.db);
    expect((await second.layouts()).map((l) => l.name)).toEqual(['a', 'b', 'fallback', 'from-image', 'from-trait']);
    await again.close();
  });

  it('keeps the latest inventory an agent reported per node, apart from the node rows', async () => {
    const { repo } = store;
    expect(await repo.nodeInventory('inv-node')).toBeUndefined();
    await repo.setNodeInventory('inv-node', { disks: [{ name: '/dev/sda', size: 1000 }] });
    await repo.setNodeInventory('inv-node', { disks: [{ name: '/dev/sda', size: 2000, serial: 'S1' }, { name: '/dev/sdb', size: '3000' }] });
    const held = await repo.nodeInventory('inv-node');
    expect(held?.inventory).toEqual({ disks: [{ name: '/dev/sda', size: 2000, serial: 'S1' }, { name: '/dev/sdb', size: '3000' }] });
    expect(Date.parse(held!.reported_at)).toBeGreaterThan(0);
    expect(await repo.nodeInventory('other-node')).toBeUndefined();
  });

  it('one open deployment per node, however many begin it; a lease is held by one replica at a time', async () => {
    const { repo } = store;
    const base = { node_uuid: 'n1', layout: 'a', state: 'planned' as const, stage: null, step: null, steps: null, bytes: null, bytes_total: null, rate_bps: null, eta_seconds: null, error: null, bootstrap_uuid: null, started_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', closed_at: null };
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
      // … yet the rows reach the database file: the checkpointer's rounds (one a second) copy them there. Waited
      // for, not timed: a loaded machine only makes the rounds later, and 60 s is a round that never came.
      const copied = (): boolean => statSync(file).size > before + 1000 * 2000;
      const deadline = Date.now() + 60_000;
      while (!copied() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(statSync(file).size).toBeGreaterThan(before + 1000 * 2000);
    } finally {
      await db.close();
    }
    expect(statSync(join(own, 'anvil.sqlite-wal'), { throwIfNoEntry: false })?.size ?? 0).toBe(0); // truncated on close
    rmSync(own, { recursive: true, force: true });
  }, 120_000);
});
