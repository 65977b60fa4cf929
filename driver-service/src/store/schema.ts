import type { Generated } from 'kysely';

/** The service's tables as Kysely sees them (timestamps are ISO 8601 text in both dialects). */
export interface NodesTable {
  uuid: string;
  capability_hash: string;
  layout: string | null;
  adopted_at: string;
  /** The bootstrap image its agent last reported running from (migration 002). */
  bootstrap_uuid: string | null;
  bootstrap_reported_at: string | null;
}

/** The disks an agent of the node last reported (migration 003): one row per node, kept apart from `nodes` so listing nodes never reads them. */
export interface NodeInventoriesTable {
  node_uuid: string;
  /** The protocol's Inventory, as JSON text. */
  inventory: string;
  reported_at: string;
}

export interface LayoutsTable {
  name: string;
  description: string | null;
  plan: string;
  is_default: number;
  updated_at: string;
}

export interface DeploymentsTable {
  id: string;
  node_uuid: string;
  layout: string | null;
  state: string;
  stage: string | null;
  step: number | null;
  steps: number | null;
  bytes: number | null;
  bytes_total: number | null;
  rate_bps: number | null;
  eta_seconds: number | null;
  error: string | null;
  bootstrap_uuid: string | null;
  started_at: string;
  updated_at: string;
  closed_at: string | null;
  /** Which replica is closing it, until when (replicas share the database and do the work once). */
  lease_owner: string | null;
  lease_until: string | null;
}

export interface CredentialsTable {
  id: string;
  deployment_id: string;
  node_uuid: string;
  user_id: string;
  image_id: string;
  expires_at: string;
  created_at: string;
  deleted_at: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  node_uuid: string;
  source: string | null;
  action: string;
  outcome: string;
}

export interface Tables {
  nodes: NodesTable;
  node_inventories: NodeInventoriesTable;
  layouts: LayoutsTable;
  deployments: DeploymentsTable;
  credentials: CredentialsTable;
  audit: AuditTable;
}
