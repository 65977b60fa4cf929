import { AnvilError } from '@anvil/shared';
import { type IronicNodeT } from '@anvil/shared/openstack';
import type { LayoutT, Repository } from '../store/repository';

/**
 * The layout for a deploy: instance_info.anvil_layout > driver_info.anvil_layout > the Glance image's
 * property anvil_layout > trait CUSTOM_ANVIL_<NAME> > the default.
 */
export async function selectLayout(node: IronicNodeT, repo: Repository, configDefault?: string, image?: { id: string; anvil_layout?: unknown }): Promise<{ layout: LayoutT; via: string }> {
  const candidates: [unknown, string][] = [
    [node.instance_info.anvil_layout, 'instance_info.anvil_layout'],
    [node.driver_info.anvil_layout, 'driver_info.anvil_layout'],
  ];
  if (image) candidates.push([image.anvil_layout, `Glance image ${image.id} property anvil_layout`]);
  for (const trait of node.traits ?? []) {
    const m = /^CUSTOM_ANVIL_([A-Z0-9_]+)$/.exec(trait);
    if (m) candidates.push([m[1]!.toLowerCase().replace(/_/g, '-'), `trait ${trait}`]);
  }
  for (const [name, via] of candidates) {
    if (typeof name !== 'string' || !name) continue;
    const layout = await repo.layout(name);
    if (!layout) throw new AnvilError('metadata.layout_missing', `${via} names layout ${name}, which the service does not have`, { layout: name });
    return { layout, via };
  }
  const fallback = (await repo.defaultLayout()) ?? (configDefault ? await repo.layout(configDefault) : undefined);
  if (fallback) return { layout: fallback, via: 'the service default' };
  throw new AnvilError('metadata.no_layout', `no layout for node ${node.uuid}: set instance_info.anvil_layout, driver_info.anvil_layout, a CUSTOM_ANVIL_<NAME> trait, or a default layout`);
}
