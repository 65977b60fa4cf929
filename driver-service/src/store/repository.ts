import type Database from 'better-sqlite3';
import { z } from 'zod';

const NodeRow = z.object({ uuid: z.string(), capability_hash: z.string(), layout: z.string().nullable(), adopted_at: z.string() });
export type NodeRowT = z.infer<typeof NodeRow>;

const LayoutRow = z.object({ name: z.string(), description: z.string().nullable(), plan: z.string(), is_default: z.number(), updated_at: z.string() });
export interface LayoutT {
  name: string;
  description: string | null;
  plan: Record<string, unknown>;
  default: boolean;
  updated_at: string;
}

export const DeploymentRow = z.object({
  id: z.string(),
  node_uuid: z.string(),
  layout: z.string().nullable(),
  state: z.enum(['planned', 'running', 'succeeded', 'failed']),
  stage: z.string().nullable(),
  step: z.number().nullable(),
  steps: z.number().nullable(),
  bytes: z.number().nullable(),
  bytes_total: z.number().nullable(),
  rate_bps: z.number().nullable(),
  eta_seconds: z.number().nullable(),
  error: z.string().nullable(),
  started_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
});
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

/** All SQL of the service, behind typed methods. */
export class Repository {
  constructor(private readonly db: Database.Database) {}

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  // nodes
  node(uuid: string): NodeRowT | undefined {
    const r = this.db.prepare('SELECT * FROM nodes WHERE uuid = ?').get(uuid);
    return r === undefined ? undefined : NodeRow.parse(r);
  }

  upsertNode(n: NodeRowT): void {
    this.db
      .prepare('INSERT INTO nodes (uuid, capability_hash, layout, adopted_at) VALUES (@uuid, @capability_hash, @layout, @adopted_at) ON CONFLICT(uuid) DO UPDATE SET capability_hash = excluded.capability_hash, layout = excluded.layout, adopted_at = excluded.adopted_at')
      .run(n);
  }

  rotateCapability(uuid: string, hash: string): void {
    this.db.prepare('UPDATE nodes SET capability_hash = ? WHERE uuid = ?').run(hash, uuid);
  }

  // layouts
  layouts(): LayoutT[] {
    return this.db.prepare('SELECT * FROM layouts ORDER BY name').all().map(toLayout);
  }

  layout(name: string): LayoutT | undefined {
    const r = this.db.prepare('SELECT * FROM layouts WHERE name = ?').get(name);
    return r === undefined ? undefined : toLayout(r);
  }

  defaultLayout(): LayoutT | undefined {
    const r = this.db.prepare('SELECT * FROM layouts WHERE is_default = 1').get();
    return r === undefined ? undefined : toLayout(r);
  }

  putLayout(l: { name: string; description?: string | undefined; plan: Record<string, unknown>; default: boolean }): LayoutT {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      if (l.default) this.db.prepare('UPDATE layouts SET is_default = 0').run();
      this.db
        .prepare('INSERT INTO layouts (name, description, plan, is_default, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET description = excluded.description, plan = excluded.plan, is_default = excluded.is_default, updated_at = excluded.updated_at')
        .run(l.name, l.description ?? null, JSON.stringify(l.plan), l.default ? 1 : 0, now);
    })();
    return this.layout(l.name)!;
  }

  deleteLayout(name: string): boolean {
    return this.db.prepare('DELETE FROM layouts WHERE name = ?').run(name).changes > 0;
  }

  // deployments
  deployments(limit = 200): DeploymentT[] {
    return this.db.prepare('SELECT * FROM deployments ORDER BY started_at DESC LIMIT ?').all(limit).map((r) => DeploymentRow.parse(r));
  }

  /** Deployments Ironic has not yet shown over. */
  openDeployments(): DeploymentT[] {
    return this.db.prepare('SELECT * FROM deployments WHERE closed_at IS NULL ORDER BY started_at').all().map((r) => DeploymentRow.parse(r));
  }

  latestDeployment(nodeUuid: string): DeploymentT | undefined {
    const r = this.db.prepare('SELECT * FROM deployments WHERE node_uuid = ? ORDER BY started_at DESC LIMIT 1').get(nodeUuid);
    return r === undefined ? undefined : DeploymentRow.parse(r);
  }

  insertDeployment(d: DeploymentT): void {
    this.db
      .prepare('INSERT INTO deployments (id, node_uuid, layout, state, stage, step, steps, bytes, bytes_total, rate_bps, eta_seconds, error, started_at, updated_at, closed_at) VALUES (@id, @node_uuid, @layout, @state, @stage, @step, @steps, @bytes, @bytes_total, @rate_bps, @eta_seconds, @error, @started_at, @updated_at, @closed_at)')
      .run(d);
  }

  updateDeployment(d: DeploymentT): void {
    this.db
      .prepare('UPDATE deployments SET state = @state, stage = @stage, step = @step, steps = @steps, bytes = @bytes, bytes_total = @bytes_total, rate_bps = @rate_bps, eta_seconds = @eta_seconds, error = @error, updated_at = @updated_at, closed_at = @closed_at WHERE id = @id')
      .run(d);
  }

  // credentials handed to agents
  insertCredential(c: CredentialT): void {
    this.db.prepare('INSERT INTO credentials (id, deployment_id, node_uuid, user_id, image_id, expires_at, created_at, deleted_at) VALUES (@id, @deployment_id, @node_uuid, @user_id, @image_id, @expires_at, @created_at, @deleted_at)').run(c);
  }

  /** Credentials not yet deleted whose deployment is closed (or which expired anyway). */
  credentialsToDelete(now: string): CredentialT[] {
    return this.db
      .prepare('SELECT c.* FROM credentials c LEFT JOIN deployments d ON d.id = c.deployment_id WHERE c.deleted_at IS NULL AND (d.closed_at IS NOT NULL OR d.id IS NULL OR c.expires_at < ?) ORDER BY c.created_at')
      .all(now)
      .map((r) => CredentialRow.parse(r));
  }

  credentialsFor(deploymentId: string): CredentialT[] {
    return this.db.prepare('SELECT * FROM credentials WHERE deployment_id = ? ORDER BY created_at').all(deploymentId).map((r) => CredentialRow.parse(r));
  }

  markCredentialDeleted(id: string): void {
    this.db.prepare('UPDATE credentials SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(new Date().toISOString(), id);
  }

  // audit
  audit(nodeUuid: string, source: string | undefined, action: string, outcome: string): void {
    this.db.prepare('INSERT INTO audit (at, node_uuid, source, action, outcome) VALUES (?, ?, ?, ?, ?)').run(new Date().toISOString(), nodeUuid, source ?? null, action, outcome);
  }

  auditFor(nodeUuid: string): { at: string; source: string | null; action: string; outcome: string }[] {
    return this.db.prepare('SELECT at, source, action, outcome FROM audit WHERE node_uuid = ? ORDER BY id').all(nodeUuid) as { at: string; source: string | null; action: string; outcome: string }[];
  }
}
