import type { IronicClient, IronicNodeT, Logger } from '@anvil/shared';

/** The provision states in which a node's agent may fetch its plan. */
export const DEPLOYING = ['deploying', 'wait call-back'];
const FIELDS = ['provision_state', 'target_provision_state', 'last_error', 'instance_info', 'driver_info', 'traits'];

/**
 * What Ironic says of the nodes that are deploying, refreshed in bulk (two list calls) every `intervalMs`
 * instead of one GET per agent request: a thousand agents fetching plans cost Ironic two requests a round.
 * Only deploying nodes are kept; any other answer is read from Ironic itself, so a deploy that just started
 * is never refused from the cache. A node whose deploy ended may look deploying for one more round at most.
 */
export class DeployingNodes {
  private nodes = new Map<string, IronicNodeT>();
  private refreshedAt = 0;
  private pending?: Promise<void>;
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

  /** One bulk read at a time; callers during a read share it. */
  refresh(): Promise<void> {
    this.pending ??= (async () => {
      const lists = await Promise.all(DEPLOYING.map((state) => this.ironic.listNodeFields({ provision_state: state }, FIELDS)));
      this.nodes = new Map(lists.flat().map((n) => [n.uuid, n]));
      this.refreshedAt = Date.now();
    })().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private fresh(): boolean {
    return Date.now() - this.refreshedAt < this.intervalMs * 2;
  }

  /** The node when it is deploying (from the last bulk read, or Ironic itself), or what Ironic says it is. */
  async node(uuid: string): Promise<IronicNodeT> {
    if (this.fresh()) {
      const cached = this.nodes.get(uuid);
      if (cached) return cached;
    } else {
      await this.refresh().catch(() => undefined);
      const cached = this.nodes.get(uuid);
      if (cached) return cached;
    }
    const node = await this.ironic.getNode(uuid);
    if (DEPLOYING.includes(node.provision_state)) this.nodes.set(node.uuid, node);
    return node;
  }

  /** True when the last bulk read (if fresh) shows the node deploying. */
  showsDeploying(uuid: string): boolean {
    return this.fresh() && this.nodes.has(uuid);
  }
}
