import type { Logger } from '@anvil/shared';
import type { IronicClient } from '@anvil/shared/openstack';
import type { ServiceConfigT } from '../config';
import type { GlanceAccess } from '../glance/access';
import { DEPLOYING, type DeployingNodes } from '../nodes/deploying-cache';
import { rotateCapability } from '../nodes/adopt';
import type { Repository } from '../store/repository';
import type { DeploymentTracker } from './tracker';

/**
 * Follows deployments in progress in Ironic. When Ironic shows one over (active, deploy failed, or the
 * node moved on), the deployment is closed and the node's capability rotated: the URL its agent used
 * stops working.
 */
export function watchIronic(w: { ironic: IronicClient; repo: Repository; tracker: DeploymentTracker; config: ServiceConfigT; log: Logger; glance?: GlanceAccess; replica: string; nodes: DeployingNodes }, intervalMs: number): () => void {
  const { ironic, repo, tracker, config, log } = w;
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const d of await tracker.open()) {
        try {
          if (w.nodes.showsDeploying(d.node_uuid)) continue;
          const node = await ironic.getNode(d.node_uuid);
          if (DEPLOYING.includes(node.provision_state)) continue;
          const ok = node.provision_state === 'active';
          // Replicas sharing the database: the one holding the lease closes it; the others skip it.
          if (!(await repo.leaseDeployment(d.id, w.replica, Math.max(30_000, intervalMs * 6)))) continue;
          await rotateCapability(ironic, repo, config, d.node_uuid); // first: a deployment is closed only once its capability is dead
          await tracker.close(d, ok ? 'succeeded' : 'failed', ok ? null : (node.last_error ?? `Ironic moved the node to ${node.provision_state}`));
          log.info({ node_uuid: d.node_uuid, deployment: d.id, state: node.provision_state, replica: w.replica }, 'deploy over: capability rotated');
        } catch (err) {
          log.warn({ node_uuid: d.node_uuid, err: err instanceof Error ? err.message : String(err) }, 'could not follow the deploy in Ironic');
        }
      }
      // Credentials of deployments now over (or left from an earlier run) are deleted; failures retry next tick.
      if (w.glance) await w.glance.sweep();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'the deploy watch failed; retrying');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
