import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool, types } from 'pg';
import { AnvilError } from '@anvil/shared';
import { migrations, type Dialect } from './migrations';
import type { Tables } from './schema';

export interface OpenedDatabase {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
}

const INT8 = 20;

/**
 * The service database, migrated on open: PostgreSQL when `databaseUrl` is given (replicas share it),
 * otherwise SQLite in the data directory (WAL mode).
 */
export async function openDatabase(o: { dataDir: string; databaseUrl?: string | undefined }): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  if (o.databaseUrl) {
    // bigint columns (byte counts) come back as numbers, not strings.
    const pool = new Pool({ connectionString: o.databaseUrl, max: 10, types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : types.getTypeParser(oid, format ?? 'text'))) as typeof types.getTypeParser } });
    opened = { db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  } else {
    mkdirSync(o.dataDir, { recursive: true });
    const sqlite = new Database(join(o.dataDir, 'anvil.sqlite'));
    sqlite.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL: commits do not wait for fsync (the database stays consistent; a power
    // loss may forget the last commits, e.g. a progress report); better-sqlite3 would block on each fsync.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    opened = { db: new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
  }
  const { error, results } = await new Migrator({ db: opened.db, provider: migrations(opened.dialect), migrationTableName: 'anvil_migrations', migrationLockTableName: 'anvil_migrations_lock' }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    await opened.db.destroy();
    throw new AnvilError('database.migration_failed', `the ${opened.dialect} database could not be migrated${failed ? ` (${failed.migrationName})` : ''}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return opened;
}
