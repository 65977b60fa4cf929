/**
 * The service database upgraded in place, on SQLite and on PostgreSQL: a database left at migration 001 by an
 * earlier release, holding a node and a deployment, is opened by this release. Migration 002 adds the bootstrap
 * columns; the rows are kept, the new columns are empty and writable, and opening again migrates nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { silentLogger } from '@anvil/shared';
import { openDatabase } from '../../driver-service/src/store/db';
import { migrations, type Dialect } from '../../driver-service/src/store/migrations';
import { Repository } from '../../driver-service/src/store/repository';
import { PostgresServer } from '../helpers/postgres';

const work = mkdtempSync(join(tmpdir(), 'anvil-migrations-'));
let pg: PostgresServer;
const NODE = '2f0f5b3e-2a51-4c1e-9a43-6d1f1c7a9b10';
const TABLES = { migrationTableName: 'anvil_migrations', migrationLockTableName: 'anvil_migrations_lock' };

beforeAll(async () => {
  pg = await PostgresServer.start('anvil_upgrade');
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A database as release 001 left it: migrated to 001 only, with one adopted node and one closed deployment. */
async function atRelease001(dialect: Dialect): Promise<void> {
  const db = new Kysely<Record<string, Record<string, unknown>>>({
    dialect: dialect === 'postgres' ? new PostgresDialect({ pool: new Pool({ connectionString: pg.url, max: 1 }) }) : new SqliteDialect({ database: new Database(join(work, 'anvil.sqlite')) }),
  });
  try {
    const r = await new Migrator({ db, provider: migrations(dialect), ...TABLES }).migrateTo('001_initial');
    expect(r.error).toBeUndefined();
    expect(r.results?.map((m) => m.migrationName)).toEqual(['001_initial']);
    await db.insertInto('nodes').values({ uuid: NODE, capability_hash: 'f'.repeat(64), layout: 'raid1', adopted_at: '2026-11-01T10:00:00.000Z' }).execute();
    await db
      .insertInto('deployments')
      .values({ id: 'dep-1', node_uuid: NODE, layout: 'raid1', state: 'done', stage: 'done', bytes: 4_294_967_296 * 3, started_at: '2026-11-01T10:01:00.000Z', updated_at: '2026-11-01T10:09:00.000Z', closed_at: '2026-11-01T10:09:00.000Z' })
      .execute();
  } finally {
    await db.destroy();
  }
}

describe.each(['sqlite', 'postgres'] as const)('upgrading a %s database from migration 001', (dialect) => {
  it('adds the bootstrap columns and the inventories table, keeps the rows, and migrates nothing the second time', async () => {
    await atRelease001(dialect);
    const open = () => openDatabase({ dataDir: work, ...(dialect === 'postgres' ? { databaseUrl: pg.url } : {}), log: silentLogger(), checkpoint: false });
    const opened = await open();
    try {
      expect(opened.dialect).toBe(dialect);
      const node = await opened.db.selectFrom('nodes').selectAll().where('uuid', '=', NODE).executeTakeFirstOrThrow();
      expect(node).toMatchObject({ uuid: NODE, layout: 'raid1', adopted_at: '2026-11-01T10:00:00.000Z', bootstrap_uuid: null, bootstrap_reported_at: null });
      const dep = await opened.db.selectFrom('deployments').selectAll().where('id', '=', 'dep-1').executeTakeFirstOrThrow();
      // a byte count above 2^32 survives as a number (bigint on PostgreSQL)
      expect(dep).toMatchObject({ node_uuid: NODE, state: 'done', bytes: 4_294_967_296 * 3, bootstrap_uuid: null });
      await opened.db.updateTable('nodes').set({ bootstrap_uuid: '0f6a8c1e-5b7d-4e2f-9a10-3c4d5e6f7a8b', bootstrap_reported_at: '2026-12-02T10:00:00.000Z' }).where('uuid', '=', NODE).execute();
      const names = await opened.db.selectFrom('anvil_migrations' as never).select('name' as never).execute();
      expect((names as Array<{ name: string }>).map((n) => n.name).sort()).toEqual(['001_initial', '002_bootstrap_uuid', '003_node_inventories']);
      // 003's table is there and takes an inventory
      await new Repository(opened.db).setNodeInventory(NODE, { disks: [{ name: '/dev/sda', size: 4_294_967_296 * 2 }] });
      expect((await new Repository(opened.db).nodeInventory(NODE))?.inventory.disks).toEqual([{ name: '/dev/sda', size: 4_294_967_296 * 2 }]);
    } finally {
      await opened.close();
    }
    const again = await open();
    try {
      const node = await again.db.selectFrom('nodes').select(['bootstrap_uuid']).where('uuid', '=', NODE).executeTakeFirstOrThrow();
      expect(node.bootstrap_uuid).toBe('0f6a8c1e-5b7d-4e2f-9a10-3c4d5e6f7a8b');
      expect(await again.db.selectFrom('nodes').select(['uuid']).execute()).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});
