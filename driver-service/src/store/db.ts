import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { LRUCache } from 'lru-cache';
import { Pool, types } from 'pg';
import { AnvilError, type Logger } from '@anvil/shared';
import { startCheckpointer, type Checkpointer } from './checkpointer';
import { migrations, type Dialect } from './migrations';
import type { Tables } from './schema';

export interface OpenedDatabase {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** Closes the connections (and SQLite's checkpointer). */
  close(): Promise<void>;
}

const INT8 = 20;

/**
 * Kysely prepares every query anew; the service runs the same few dozen statements a thousand times a
 * second, so prepared statements are kept by their SQL text (better-sqlite3 statements are reusable, and
 * Kysely runs one query at a time on its single SQLite connection).
 */
function withStatementCache(sqlite: Database.Database): SqliteDatabase {
  const statements = new LRUCache<string, Database.Statement>({ max: 256 });
  return {
    close: () => void sqlite.close(),
    prepare: (text: string) => {
      let st = statements.get(text);
      if (!st) statements.set(text, (st = sqlite.prepare(text)));
      return st;
    },
  };
}

/**
 * The service database, migrated on open: PostgreSQL when `databaseUrl` is given (replicas share it),
 * otherwise SQLite in the data directory (WAL mode).
 */
export async function openDatabase(o: {
  dataDir: string;
  databaseUrl?: string | undefined;
  log: Logger;
  /** SQLite: checkpoint the WAL on a worker thread (default). Off in all but one of processes sharing the file. */
  checkpoint?: boolean;
  /** Run the migrations (default). Off where another process has just run them (the cluster's workers). */
  migrate?: boolean;
}): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  if (o.databaseUrl) {
    // bigint columns (byte counts) come back as numbers, not strings.
    const pool = new Pool({ connectionString: o.databaseUrl, max: 10, types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : types.getTypeParser(oid, format ?? 'text'))) as typeof types.getTypeParser } });
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    opened = { db, dialect: 'postgres', close: () => db.destroy() };
  } else {
    mkdirSync(o.dataDir, { recursive: true });
    const sqlite = new Database(join(o.dataDir, 'anvil.sqlite'));
    sqlite.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL: commits do not wait for fsync (the database stays consistent; a power
    // loss may forget the last commits, e.g. a progress report); better-sqlite3 would block on each fsync.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    // Checkpoints (and their fsyncs) off the event loop: see checkpointer.ts.
    sqlite.pragma('wal_autocheckpoint = 0');
    // Several processes on one file (the cluster's workers): one of them checkpoints for all.
    const checkpointer: Checkpointer | undefined = o.checkpoint === false ? undefined : startCheckpointer(join(o.dataDir, 'anvil.sqlite'), o.log);
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    opened = {
      db,
      dialect: 'sqlite',
      close: async () => {
        await checkpointer?.stop();
        await db.destroy();
      },
    };
  }
  if (o.migrate === false) return opened;
  const { error, results } = await new Migrator({ db: opened.db, provider: migrations(opened.dialect), migrationTableName: 'anvil_migrations', migrationLockTableName: 'anvil_migrations_lock' }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    await opened.close();
    throw new AnvilError('database.migration_failed', `the ${opened.dialect} database could not be migrated${failed ? ` (${failed.migrationName})` : ''}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return opened;
}
