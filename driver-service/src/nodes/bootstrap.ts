import { AnvilError } from '@anvil/shared';
import { activeBootstrap, bootstrapDriverInfo, readBootstrap, type StoredBootstrap } from '@anvil/shared/bootstrap';
import type { IronicClient, JsonPatchOp } from '@anvil/shared/openstack';
import type { ServiceConfigT } from '../config';
import type { Repository } from '../store/repository';

/**
 * What makes a node's next boot use a bootstrap image: driver_info.deploy_kernel and deploy_ramdisk at the
 * service's URLs OF THAT UUID, and kernel_append_params (the agent's own, the image's extend_kopts, and
 * anvil.bootstrap=<uuid>).
 *
 * Why the uuid is in the URL: Ironic's image cache (ironic/drivers/modules/image_cache.py, ImageCache.fetch_image)
 * names its master copy of an http(s) image `uuid5(NAMESPACE_URL, href)`, i.e. it keys the cache by URL, and
 * only re-checks a cached copy with `_delete_master_path_if_stale`: a HEAD of the URL
 * (ironic/common/image_service.py, HttpImageService.show, which needs Content-Length and takes `updated_at`
 * from Last-Modified), the copy kept while Last-Modified <= the copy's mtime. A new image under the same URL
 * would be served stale whenever its files are older than Ironic's download (a rebuilt image keeps the mtime
 * tar gave it). A new URL per image is a new cache key: the first boot after activation downloads it, and
 * `_delete_dest_path_if_stale` replaces the node's hard link (tftp/http root) since its inode no longer is
 * the master's.
 */
export function bootstrapPatch(config: ServiceConfigT, image: StoredBootstrap): JsonPatchOp[] {
  const fields = bootstrapDriverInfo(config.public_url, image.metadata, config.agent_kernel_params);
  return Object.entries(fields).map(([k, value]) => ({ op: 'add', path: `/driver_info/${k}`, value }));
}

/** The active image of the service's store, or undefined when nothing is active. */
export async function activeImage(config: ServiceConfigT): Promise<StoredBootstrap | undefined> {
  const uuid = await activeBootstrap(config.bootstrap_store);
  return uuid === undefined ? undefined : readBootstrap(config.bootstrap_store, uuid, uuid);
}

export interface RepointResult {
  node_uuid: string;
  ok: boolean;
  error?: string;
}

/** Points every adopted node at the image (one JSON patch each); a node Ironic refuses is reported, not fatal. */
export async function repointNodes(ironic: IronicClient, repo: Repository, config: ServiceConfigT, image: StoredBootstrap): Promise<RepointResult[]> {
  const ops = bootstrapPatch(config, image);
  const out: RepointResult[] = [];
  for (const node of await repo.nodes()) {
    try {
      await ironic.patchNode(node.uuid, ops);
      out.push({ node_uuid: node.uuid, ok: true });
    } catch (err) {
      out.push({ node_uuid: node.uuid, ok: false, error: err instanceof AnvilError ? `${err.message} [${err.code}]` : String(err) });
    }
  }
  return out;
}
