import type { Logger } from '@anvil/shared';
import type { IronicClient, IronicNodeT } from '@anvil/shared/openstack';

/** The provision states in which a node's agent may fetch its plan. */
export const DEPLOYING = ['deploying', 'wait call-back'];
/** How many list intervals old a list may be and still answer plan fetches (see node()). */
const STALE_ROUNDS = 5;
const FIELDS = ['provision_state', 'target_provision_state', 'last_error', 'instance_info', 'driver_info', 'traits'];

/**
 * What Ironic says of the nodes that are deploying, so that a thousand agents fetching plans do not cost
 * Ironic a thousand reads:
 * - every `intervalMs`, one cheap list per deploying state (uuid and state only) says which nodes deploy;
 * - a node's full fields are read once per deploy, in the background as soon as the list shows it (one
 *   list for all such nodes), or on demand (in bulk when several are missing at once, else with a GET);
 *   they are dropped when it stops deploying.
 * A node not shown deploying is always read from Ironic itself, so a deploy that just started is never
 * refused from the cache; a node whose deploy ended may look deploying for one more round at most.
 */
export class DeployingNodes {
  private deploying = new Set<string>();
  private readonly full = new Map<string, IronicNodeT>();
  private listedAt = 0;
  private fullAt = 0;
  private pendingList?: Promise<void>;
  private pendingFull?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ironic: IronicClient,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not list deploying nodes')), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Which nodes deploy (one list at a time; callers during a list share it). */
  refresh(): Promise<void> {
    this.pendingList ??= (async () => {
      const lists = await Promise.all(DEPLOYING.map((state) => this.ironic.listNodeFields({ provision_state: state }, ['provision_state'])));
      this.deploying = new Set(lists.flat().map((n) => n.uuid));
      for (const uuid of this.full.keys()) if (!this.deploying.has(uuid)) this.full.delete(uuid);
      this.listedAt = Date.now();
      // Nodes that started deploying since: their fields are read now, in the background, so that their
      // agents (which fetch plans only after booting) find them here.
      if ([...this.deploying].some((uuid) => !this.full.has(uuid))) void this.readAll().catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read deploying nodes'));
    })().finally(() => {
      this.pendingList = undefined;
    });
    return this.pendingList;
  }

  /** Full fields of every deploying node, in one list per state. */
  private readAll(): Promise<void> {
    this.pendingFull ??= (async () => {
      const lists = await Promise.all(DEPLOYING.map((state) => this.ironic.listNodeFields({ provision_state: state }, FIELDS)));
      for (const n of lists.flat()) this.full.set(n.uuid, n);
      this.fullAt = Date.now();
    })().finally(() => {
      this.pendingFull = undefined;
    });
    return this.pendingFull;
  }

  private fresh(): boolean {
    return Date.now() - this.listedAt < this.intervalMs * 2;
  }

  /** A late list (Ironic slow to answer under load) is still used, while a new one is read, up to this age. */
  private usable(): boolean {
    return Date.now() - this.listedAt < this.intervalMs * STALE_ROUNDS;
  }

  /**
   * The node when it is deploying (cached), or what Ironic says of it now. A list gone stale is refreshed in
   * the background while requests are answered from it (a node whose deploy ended meanwhile has a rotated
   * capability anyway); only one older than STALE_ROUNDS intervals makes requests wait for Ironic.
   */
  async node(uuid: string): Promise<IronicNodeT> {
    if (!this.fresh()) {
      const refreshing = this.refresh().catch(() => undefined);
      if (!this.usable()) await refreshing;
    }
    if (this.usable() && this.deploying.has(uuid)) {
      const cached = this.full.get(uuid);
      if (cached) return cached;
      // Many nodes starting their deploys at once share one bulk read; a lone one is read by itself.
      if (this.pendingFull || Date.now() - this.fullAt > this.intervalMs) {
        await this.readAll().catch(() => undefined);
        const read = this.full.get(uuid);
        if (read) return read;
      }
    }
    const node = await this.ironic.getNode(uuid);
    if (DEPLOYING.includes(node.provision_state)) {
      this.deploying.add(node.uuid);
      this.full.set(node.uuid, node);
    }
    return node;
  }

  /** True when the last list (if fresh) shows the node deploying. */
  showsDeploying(uuid: string): boolean {
    return this.fresh() && this.deploying.has(uuid);
  }
}
