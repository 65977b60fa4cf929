import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { Inventory, type InventoryT } from '@anvil/shared';
import { Deployment } from '@anvil/shared/protocol';
import type { Tables } from './schema';

const NodeRow = z.object({ uuid: z.string(), capability_hash: z.string(), layout: z.string().nullable(), adopted_at: z.string(), bootstrap_uuid: z.string().nullable(), bootstrap_reported_at: z.string().nullable() });
export type NodeRowT = z.infer<typeof NodeRow>;
/** What adoption writes; the reported bootstrap is kept across re-adoptions. */
export type NodeAdoptionT = Omit<NodeRowT, 'bootstrap_uuid' | 'bootstrap_reported_at'>;

const LayoutRow = z.object({ name: z.string(), description: z.string().nullable(), plan: z.string(), is_default: z.number(), updated_at: z.string() });
export interface LayoutT {
  name: string;
  description: string | null;
  plan: Record<string, unknown>;
  default: boolean;
  updated_at: string;
}

/** A deployments row is the protocol's Deployment record (shared/src/protocol/deployment.ts), plus the lease columns it does not select. */
export const DeploymentRow = Deployment;
export type DeploymentT = z.infer<typeof DeploymentRow>;

export const CredentialRow = z.object({
  id: z.string(),
  deployment_id: z.string(),
  node_uuid: z.string(),
  user_id: z.string(),
  image_id: z.string(),
  expires_at: z.string(),
  created_at: z.string(),
  deleted_at: z.string().nullable(),
});
export type CredentialT = z.infer<typeof CredentialRow>;

const toLayout = (r: unknown): LayoutT => {
  const row = LayoutRow.parse(r);
  return { name: row.name, description: row.description, plan: JSON.parse(row.plan) as Record<string, unknown>, default: row.is_default === 1, updated_at: row.updated_at };
};

const DEPLOYMENT_COLUMNS = ['id', 'node_uuid', 'layout', 'state', 'stage', 'step', 'steps', 'bytes', 'bytes_total', 'rate_bps', 'eta_seconds', 'error', 'bootstrap_uuid', 'started_at', 'updated_at', 'closed_at'] as const;
const toDeployment = (r: unknown): DeploymentT => DeploymentRow.parse(r);

/** All queries of the service, behind typed methods (SQLite or PostgreSQL through Kysely). */
export class Repository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Runs `fn` in one transaction, with a repository bound to it (committed when `fn` resolves, rolled back when it throws). */
  async transaction<T>(fn: (r: Repository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Repository(trx)));
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  // nodes
  async node(uuid: string): Promise<NodeRowT | undefined> {
    const r = await this.db.selectFrom('nodes').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return r === undefined ? undefined : NodeRow.parse(r);
  }

  /** Every adopted node. */
  async nodes(): Promise<NodeRowT[]> {
    return (await this.db.selectFrom('nodes').selectAll().orderBy('uuid').execute()).map((r) => NodeRow.parse(r));
  }

  async upsertNode(n: NodeAdoptionT): Promise<void> {
    await this.db
      .insertInto('nodes')
      .values(n)
      .onConflict((oc) => oc.column('uuid').doUpdateSet({ capability_hash: n.capability_hash, layout: n.layout, adopted_at: n.adopted_at }))
      .execute();
  }

  /** The bootstrap an agent of the node reported running from. */
  async setNodeBootstrap(uuid: string, bootstrapUuid: string): Promise<void> {
    await this.db.updateTable('nodes').set({ bootstrap_uuid: bootstrapUuid, bootstrap_reported_at: new Date().toISOString() }).where('uuid', '=', uuid).execute();
  }

  /** The disks an agent of the node reported (the latest report replaces the one before). */
  async setNodeInventory(uuid: string, inventory: InventoryT): Promise<void> {
    const row = { node_uuid: uuid, inventory: JSON.stringify(inventory), reported_at: new Date().toISOString() };
    await this.db
      .insertInto('node_inventories')
      .values(row)
      .onConflict((oc) => oc.column('node_uuid').doUpdateSet({ inventory: row.inventory, reported_at: row.reported_at }))
      .execute();
  }

  async nodeInventory(uuid: string): Promise<{ inventory: InventoryT; reported_at: string } | undefined> {
    const r = await this.db.selectFrom('node_inventories').selectAll().where('node_uuid', '=', uuid).executeTakeFirst();
    return r === undefined ? undefined : { inventory: Inventory.parse(JSON.parse(r.inventory)), reported_at: r.reported_at };
  }

  async rotateCapability(uuid: string, hash: string): Promise<void> {
    await this.db.updateTable('nodes').set({ capability_hash: hash }).where('uuid', '=', uuid).execute();
  }

  // layouts
  async layouts(): Promise<LayoutT[]> {
    return (await this.db.selectFrom('layouts').selectAll().orderBy('name').execute()).map(toLayout);
  }

  async layout(name: string): Promise<LayoutT | undefined> {
    const r = await this.db.selectFrom('layouts').selectAll().where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : toLayout(r);
  }

  async defaultLayout(): Promise<LayoutT | undefined> {
    const r = await this.db.selectFrom('layouts').selectAll().where('is_default', '=', 1).executeTakeFirst();
    return r === undefined ? undefined : toLayout(r);
  }

  async putLayout(l: { name: string; description?: string | undefined; plan: Record<string, unknown>; default: boolean }): Promise<LayoutT> {
    const row = { name: l.name, description: l.description ?? null, plan: JSON.stringify(l.plan), is_default: l.default ? 1 : 0, updated_at: new Date().toISOString() };
    await this.db.transaction().execute(async (trx) => {
      if (l.default) await trx.updateTable('layouts').set({ is_default: 0 }).execute();
      await trx
        .insertInto('layouts')
        .values(row)
        .onConflict((oc) => oc.column('name').doUpdateSet({ description: row.description, plan: row.plan, is_default: row.is_default, updated_at: row.updated_at }))
        .execute();
    });
    return (await this.layout(l.name))!;
  }

  async deleteLayout(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('layouts').where('name', '=', name).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  // deployments
  async deployments(limit = 200): Promise<DeploymentT[]> {
    return (await this.db.selectFrom('deployments').select(DEPLOYMENT_COLUMNS).orderBy('started_at', 'desc').limit(limit).execute()).map(toDeployment);
  }

  /** Deployments Ironic has not yet shown over. */
  async openDeployments(): Promise<DeploymentT[]> {
    return (await this.db.selectFrom('deployments').select(DEPLOYMENT_COLUMNS).where('closed_at', 'is', null).orderBy('started_at').execute()).map(toDeployment);
  }

  async latestDeployment(nodeUuid: string): Promise<DeploymentT | undefined> {
    const r = await this.db.selectFrom('deployments').select(DEPLOYMENT_COLUMNS).where('node_uuid', '=', nodeUuid).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
    return r === undefined ? undefined : toDeployment(r);
  }

  /** Inserts a deployment unless the node already has an open one (another replica's); returns the open one. */
  async insertOpenDeployment(d: DeploymentT): Promise<DeploymentT> {
    await this.db
      .insertInto('deployments')
      .values({ ...d, lease_owner: null, lease_until: null })
      .onConflict((oc) => oc.column('node_uuid').where('closed_at', 'is', null).doNothing())
      .execute();
    const open = await this.db.selectFrom('deployments').select(DEPLOYMENT_COLUMNS).where('node_uuid', '=', d.node_uuid).where('closed_at', 'is', null).executeTakeFirstOrThrow();
    return toDeployment(open);
  }

  async updateDeployment(d: DeploymentT): Promise<void> {
    const { state, stage, step, steps, bytes, bytes_total, rate_bps, eta_seconds, error, bootstrap_uuid, updated_at, closed_at } = d;
    await this.db.updateTable('deployments').set({ state, stage, step, steps, bytes, bytes_total, rate_bps, eta_seconds, error, bootstrap_uuid, updated_at, closed_at }).where('id', '=', d.id).execute();
  }

  /**
   * Takes the deployment for closing, for `ms`, unless another replica holds it; true when taken. The
   * holder rotates the capability and closes it; a replica that dies mid-way loses the lease to another.
   */
  async leaseDeployment(id: string, owner: string, ms: number): Promise<boolean> {
    const now = new Date();
    const r = await this.db
      .updateTable('deployments')
      .set({ lease_owner: owner, lease_until: new Date(now.getTime() + ms).toISOString() })
      .where('id', '=', id)
      .where('closed_at', 'is', null)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now.toISOString()), eb('lease_owner', '=', owner)]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  // credentials handed to agents
  async insertCredential(c: CredentialT): Promise<void> {
    await this.db.insertInto('credentials').values(c).execute();
  }

  /** Credentials not yet deleted whose deployment is over (or gone), or which expired anyway. */
  async credentialsToDelete(now: string): Promise<CredentialT[]> {
    const rows = await this.db
      .selectFrom('credentials as c')
      .leftJoin('deployments as d', 'd.id', 'c.deployment_id')
      .selectAll('c')
      .where('c.deleted_at', 'is', null)
      .where((eb) => eb.or([eb('d.closed_at', 'is not', null), eb('d.id', 'is', null), eb('c.expires_at', '<', now)]))
      .orderBy('c.created_at')
      .execute();
    return rows.map((r) => CredentialRow.parse(r));
  }

  /** Marks a credential deleted before deleting it (so one replica does it); false when another did. */
  async claimCredential(id: string): Promise<boolean> {
    const r = await this.db.updateTable('credentials').set({ deleted_at: new Date().toISOString() }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Gives a claimed credential back (its deletion failed; the next sweep retries). */
  async releaseCredential(id: string): Promise<void> {
    await this.db.updateTable('credentials').set({ deleted_at: null }).where('id', '=', id).execute();
  }

  // audit
  async audit(nodeUuid: string, source: string | undefined, action: string, outcome: string): Promise<void> {
    await this.db.insertInto('audit').values({ at: new Date().toISOString(), node_uuid: nodeUuid, source: source ?? null, action, outcome }).execute();
  }

  /** Several audit records in one statement (the progress writer's batches). */
  async auditMany(rows: readonly { at: string; node_uuid: string; source: string | null; action: string; outcome: string }[]): Promise<void> {
    if (rows.length) await this.db.insertInto('audit').values([...rows]).execute();
  }

  async auditFor(nodeUuid: string): Promise<{ at: string; source: string | null; action: string; outcome: string }[]> {
    return this.db.selectFrom('audit').select(['at', 'source', 'action', 'outcome']).where('node_uuid', '=', nodeUuid).orderBy('id').execute();
  }
}
