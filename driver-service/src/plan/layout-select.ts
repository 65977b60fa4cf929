import { AnvilError } from '@anvil/shared';
import { type IronicNodeT } from '@anvil/shared/openstack';
import type { LayoutT, Repository } from '../store/repository';

/** The traits a deploy asked for: instance_info.traits (Nova writes the flavor's required traits there). */
function askedTraits(node: IronicNodeT): string[] {
  const t = node.instance_info.traits;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The layout for a deploy: the deploy step's `layout` argument (a deploy template's choice) >
 * instance_info.anvil_layout > driver_info.anvil_layout > the Glance image's property anvil_layout >
 * a trait CUSTOM_ANVIL_<NAME> the deploy asked for (instance_info.traits, not every trait the node has) >
 * the default.
 */
export async function selectLayout(node: IronicNodeT, repo: Repository, configDefault?: string, image?: { id: string; anvil_layout?: unknown }, stepLayout?: string): Promise<{ layout: LayoutT; via: string }> {
  const candidates: [unknown, string][] = [
    [stepLayout, 'the deploy step argument layout'],
    [node.instance_info.anvil_layout, 'instance_info.anvil_layout'],
    [node.driver_info.anvil_layout, 'driver_info.anvil_layout'],
  ];
  if (image) candidates.push([image.anvil_layout, `Glance image ${image.id} property anvil_layout`]);
  for (const trait of askedTraits(node)) {
    const m = /^CUSTOM_ANVIL_([A-Z0-9_]+)$/.exec(trait);
    if (m) candidates.push([m[1]!.toLowerCase().replace(/_/g, '-'), `trait ${trait} in instance_info.traits`]);
  }
  for (const [name, via] of candidates) {
    if (typeof name !== 'string' || !name) continue;
    const layout = await repo.layout(name);
    if (!layout) throw new AnvilError('metadata.layout_missing', `${via} names layout ${name}, which the service does not have`, { layout: name });
    return { layout, via };
  }
  const fallback = (await repo.defaultLayout()) ?? (configDefault ? await repo.layout(configDefault) : undefined);
  if (fallback) return { layout: fallback, via: 'the service default' };
  throw new AnvilError('metadata.no_layout', `no layout for node ${node.uuid}: set instance_info.anvil_layout, driver_info.anvil_layout, a CUSTOM_ANVIL_<NAME> trait in instance_info.traits, or a default layout`);
}
