import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Ordered schema migrations; each runs once, in a transaction, recorded in schema_migrations. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE nodes (
     uuid TEXT PRIMARY KEY,
     capability_hash TEXT NOT NULL,
     layout TEXT,
     adopted_at TEXT NOT NULL
   );
   CREATE TABLE layouts (
     name TEXT PRIMARY KEY,
     description TEXT,
     plan TEXT NOT NULL,
     is_default INTEGER NOT NULL DEFAULT 0,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE deployments (
     id TEXT PRIMARY KEY,
     node_uuid TEXT NOT NULL,
     layout TEXT,
     state TEXT NOT NULL,
     stage TEXT,
     step INTEGER,
     steps INTEGER,
     bytes INTEGER,
     bytes_total INTEGER,
     rate_bps INTEGER,
     eta_seconds INTEGER,
     error TEXT,
     started_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX deployments_node ON deployments(node_uuid, started_at);
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     node_uuid TEXT NOT NULL,
     source TEXT,
     action TEXT NOT NULL,
     outcome TEXT NOT NULL
   );`,
  // When Ironic showed the deploy over and the capability was rotated (the agent's own "done" comes earlier).
  `ALTER TABLE deployments ADD COLUMN closed_at TEXT;`,
  // Keystone application credentials handed to agents for Glance images (the secret is never stored).
  `CREATE TABLE credentials (
     id TEXT PRIMARY KEY,
     deployment_id TEXT NOT NULL,
     node_uuid TEXT NOT NULL,
     user_id TEXT NOT NULL,
     image_id TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     created_at TEXT NOT NULL,
     deleted_at TEXT
   );
   CREATE INDEX credentials_deployment ON credentials(deployment_id);`,
];

/** The service database: SQLite in the data directory, WAL mode, migrated on open. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'anvil.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  MIGRATIONS.forEach((sql, i) => {
    const version = i + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
    })();
  });
  return db;
}
