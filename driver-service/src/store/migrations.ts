import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The schema's migrations, the same for SQLite and PostgreSQL (the few type differences are chosen per
 * dialect). Kysely's migrator runs them in order, once, under its lock, so replicas starting together
 * migrate once.
 */
export function migrations(dialect: Dialect): MigrationProvider {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  const all: Record<string, Migration> = {
    '001_initial': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.createTable('nodes').addColumn('uuid', 'text', (c) => c.primaryKey()).addColumn('capability_hash', 'text', (c) => c.notNull()).addColumn('layout', 'text').addColumn('adopted_at', 'text', (c) => c.notNull()).execute();
        await db.schema
          .createTable('layouts')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('description', 'text')
          .addColumn('plan', 'text', (c) => c.notNull())
          .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        let deployments = db.schema.createTable('deployments').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('node_uuid', 'text', (c) => c.notNull()).addColumn('layout', 'text').addColumn('state', 'text', (c) => c.notNull()).addColumn('stage', 'text');
        for (const col of ['step', 'steps', 'bytes', 'bytes_total', 'rate_bps', 'eta_seconds']) deployments = deployments.addColumn(col, big);
        await deployments
          .addColumn('error', 'text')
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('closed_at', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'text')
          .execute();
        await db.schema.createIndex('deployments_node').on('deployments').columns(['node_uuid', 'started_at']).execute();
        // One open deployment per node, even when two replicas serve the first plan fetches at once.
        await db.schema.createIndex('deployments_one_open').on('deployments').column('node_uuid').unique().where(sql.ref('closed_at'), 'is', null).execute();
        await db.schema
          .createTable('credentials')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('deployment_id', 'text', (c) => c.notNull())
          .addColumn('node_uuid', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('image_id', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('deleted_at', 'text')
          .execute();
        await db.schema.createIndex('credentials_deployment').on('credentials').column('deployment_id').execute();
        await db.schema
          .createTable('audit')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('node_uuid', 'text', (c) => c.notNull())
          .addColumn('source', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_node').on('audit').columns(['node_uuid', 'id']).execute();
      },
    },
    // The bootstrap image an agent reports running from (`anvil.bootstrap=`), on its deployment and its node.
    '002_bootstrap_uuid': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('deployments').addColumn('bootstrap_uuid', 'text').execute();
        await db.schema.alterTable('nodes').addColumn('bootstrap_uuid', 'text').execute();
        await db.schema.alterTable('nodes').addColumn('bootstrap_reported_at', 'text').execute();
      },
    },
    // The disks an agent reports at the start of a deploy step, which layouts are checked against before a deploy.
    '003_node_inventories': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('node_inventories')
          .addColumn('node_uuid', 'text', (c) => c.primaryKey())
          .addColumn('inventory', 'text', (c) => c.notNull())
          .addColumn('reported_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
  return { getMigrations: () => Promise.resolve(all) };
}
