import { AnvilError } from '@anvil/shared';
import { type IronicClient, type JsonPatchOp } from '@anvil/shared/openstack';
import { ANVIL_DEPLOY_INTERFACES, LAYOUT_KEY, METADATA_URL_KEY } from '@anvil/shared/protocol';
import type { ServiceConfigT } from '../config';
import type { Repository } from '../store/repository';
import { activeImage, bootstrapPatch } from './bootstrap';
import { layoutFit } from '../plan/fit';
import { hashSecret, metadataUrl, newSecret } from './capability';

/** States in which Ironic lets an interface change (or any state in maintenance). */
const INTERFACE_STATES = ['enroll', 'manageable', 'available', 'inspect failed'];

export interface Adoption {
  node_uuid: string;
  metadata_url: string;
  deploy_interface: string;
  layout: string | null;
}

/**
 * Adopts a node: custom-agent as its deploy interface where Ironic allows the change (unless it has one of
 * ANVIL_DEPLOY_INTERFACES already), and a fresh
 * capability URL in driver_info.anvil_metadata_url (the old one stops working).
 */
export async function adoptNode(ironic: IronicClient, repo: Repository, config: ServiceConfigT, ident: string, layout?: string): Promise<Adoption> {
  const chosen = layout !== undefined ? await repo.layout(layout) : undefined;
  if (layout !== undefined && !chosen) throw new AnvilError('layout.not_found', `no layout named ${layout}`);
  const node = await ironic.getNode(ident);
  // Before anything is written: a layout given for a node whose agent has reported its disks must fit them.
  const held = chosen ? await repo.nodeInventory(node.uuid) : undefined;
  if (chosen && held) {
    const report = layoutFit(chosen, node.uuid, held.inventory);
    if (!report.valid) {
      const errors = report.entries.filter((e) => e.severity === 'error');
      throw new AnvilError('layout.does_not_fit', `layout ${chosen.name} does not fit node ${node.uuid} (its ${held.inventory.disks.length} disk${held.inventory.disks.length === 1 ? '' : 's'} as its agent reported them at ${held.reported_at}): ${errors.slice(0, 3).map((e) => `${e.pointer} ${e.code}: ${e.message}`).join('; ')}`, { entries: report.entries });
    }
  }
  const secret = newSecret();
  const url = metadataUrl(config.public_url, node.uuid, secret);
  const ops: JsonPatchOp[] = [{ op: 'add', path: `/driver_info/${METADATA_URL_KEY}`, value: url }];
  if (layout !== undefined) ops.push({ op: 'add', path: `/driver_info/${LAYOUT_KEY}`, value: layout });
  // A node adopted after an activation boots the active bootstrap image, as the nodes activation re-pointed.
  const image = await activeImage(config);
  if (image) ops.push(...bootstrapPatch(config, image));
  const keeps = (ANVIL_DEPLOY_INTERFACES as readonly string[]).includes(node.deploy_interface ?? '');
  if (!keeps) {
    if (!INTERFACE_STATES.includes(node.provision_state) && !node.maintenance) {
      throw new AnvilError('adopt.wrong_state', `node ${node.uuid} is ${node.provision_state}: Ironic changes its deploy interface only in ${INTERFACE_STATES.join(', ')} or in maintenance`, { state: node.provision_state });
    }
    ops.push({ op: 'replace', path: '/deploy_interface', value: 'custom-agent' });
  }
  await ironic.patchNode(node.uuid, ops);
  await repo.upsertNode({ uuid: node.uuid, capability_hash: hashSecret(secret), layout: layout ?? null, adopted_at: new Date().toISOString() });
  return { node_uuid: node.uuid, metadata_url: url, deploy_interface: keeps ? node.deploy_interface! : 'custom-agent', layout: layout ?? null };
}

/** A new capability for a node whose deploy ended: the URL the agent used stops working. */
export async function rotateCapability(ironic: IronicClient, repo: Repository, config: ServiceConfigT, nodeUuid: string): Promise<void> {
  const secret = newSecret();
  await ironic.patchNode(nodeUuid, [{ op: 'add', path: `/driver_info/${METADATA_URL_KEY}`, value: metadataUrl(config.public_url, nodeUuid, secret) }]);
  await repo.rotateCapability(nodeUuid, hashSecret(secret));
}
