import { randomUUID } from 'node:crypto';
import { type Logger } from '@anvil/shared';
import { createApplicationCredential, deleteApplicationCredential, GlanceClient, type GlanceImageT, type KeystoneSession } from '@anvil/shared/openstack';
import type { Repository } from '../store/repository';

/** What the agent receives to download one Glance image. */
export interface GlanceGrant {
  readonly image_id: string;
  readonly endpoint: string;
  readonly application_credential: { auth_url: string; id: string; secret: string };
}

export interface GlanceAccessOptions {
  /** Glance's URL; default: the `image` endpoint in the service's catalog. */
  readonly glanceUrl?: string;
  readonly interface?: 'public' | 'internal';
  /** How long a handed-out credential lives at most (the deploy window). */
  readonly ttlSeconds: number;
  /** The roles the credential carries (a subset of the service user's). */
  readonly roles: readonly string[];
}

/**
 * Glance for deploys: reads image metadata with the service's credentials and hands each agent a Keystone
 * application credential that may only `GET /v2/images/{id}/file` of its image, expires after the deploy
 * window and is deleted once Ironic shows the deploy over. Only its id is stored, never its secret.
 */
export class GlanceAccess {
  private client?: Promise<GlanceClient>;

  constructor(
    private readonly session: KeystoneSession,
    private readonly repo: Repository,
    private readonly log: Logger,
    private readonly o: GlanceAccessOptions,
  ) {}

  private glance(): Promise<GlanceClient> {
    this.client ??= (async () => {
      const endpoint = this.o.glanceUrl ?? (await this.session.endpoint({ type: 'image', interface: this.o.interface ?? 'public' }));
      return new GlanceClient({ endpoint, token: () => this.session.token(), tokenRejected: () => this.session.invalidate() });
    })().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  async image(id: string): Promise<GlanceImageT> {
    return (await this.glance()).image(id);
  }

  /** A grant for this deployment's agent (recorded for deletion). */
  async grant(imageId: string, deployment: { id: string; node_uuid: string }): Promise<GlanceGrant> {
    const glance = await this.glance();
    const expiresAt = new Date(Date.now() + this.o.ttlSeconds * 1000);
    const cred = await createApplicationCredential(this.session, {
      name: `anvil-${deployment.node_uuid.slice(0, 8)}-${randomUUID().slice(0, 8)}`,
      description: `Anvil deploy ${deployment.id} of node ${deployment.node_uuid}: download of image ${imageId} only`,
      expiresAt,
      accessRules: [{ service: 'image', method: 'GET', path: GlanceClient.filePath(imageId) }],
      roles: this.o.roles,
    });
    await this.repo.insertCredential({ id: cred.id, deployment_id: deployment.id, node_uuid: deployment.node_uuid, user_id: cred.userId, image_id: imageId, expires_at: expiresAt.toISOString(), created_at: new Date().toISOString(), deleted_at: null });
    this.log.info({ node_uuid: deployment.node_uuid, deployment: deployment.id, image: imageId, credential: cred.id, expires_at: expiresAt.toISOString() }, 'application credential handed out');
    return { image_id: imageId, endpoint: glance.endpoint, application_credential: { auth_url: this.session.authUrl, id: cred.id, secret: cred.secret } };
  }

  /** Deletes the credentials of deployments that are over (and expired ones); returns how many. */
  async sweep(): Promise<number> {
    let n = 0;
    for (const c of await this.repo.credentialsToDelete(new Date().toISOString())) {
      if (!(await this.repo.claimCredential(c.id))) continue; // another replica has it
      try {
        await deleteApplicationCredential(this.session, c.user_id, c.id);
        this.log.info({ node_uuid: c.node_uuid, deployment: c.deployment_id, credential: c.id }, 'application credential deleted');
        n++;
      } catch (err) {
        await this.repo.releaseCredential(c.id);
        this.log.warn({ node_uuid: c.node_uuid, credential: c.id, err: err instanceof Error ? err.message : String(err) }, 'could not delete an application credential; will retry');
      }
    }
    return n;
  }
}
