import { AnvilError } from '../errors/anvil-error';
import type { InventoryDiskT } from '../inventory/schema';
import type { Capacity } from '../layout/capacity';
import type { PlanModel } from '../model/model';
import type { Plan } from '../plan/v1/plan';
import { toPointer, type Path } from '../report/report';
import type { Action, ActionInput } from './actions';

/** What every compile phase reads, and the one list they append to. */
export class CompileState {
  readonly actions: Action[] = [];
  /** Filesystem id → the UUID it gets (derived, or the plan's). */
  readonly uuids = new Map<string, string>();
  /** Filesystems that come from an image rather than mkfs. */
  readonly fsFromImage = new Set<string>();
  /** Mounted filesystems in mount order (set by the mounts phase). */
  mounted: ReadonlyArray<{ fs: NonNullable<Plan['filesystems']>[number]; i: number }> = [];

  constructor(
    readonly plan: Plan,
    readonly model: PlanModel,
    readonly capacity: Capacity,
    readonly resolved: ReadonlyMap<string, InventoryDiskT>,
    readonly devices: ReadonlyMap<string, string>,
    readonly policy: 'clean' | 'verify',
    readonly targetRoot: string,
    readonly seed: string,
  ) {}

  push(a: ActionInput): void {
    this.actions.push({ ...a, seq: this.actions.length + 1 } as Action);
  }

  dev(id: string): string {
    const d = this.devices.get(id);
    if (!d) throw new AnvilError('compile.unknown_device', `no device for "${id}"`);
    return d;
  }

  ptr(p: Path): string {
    return toPointer(p);
  }

  nodePath(id: string): Path {
    return this.model.nodes.get(id)?.path ?? [];
  }
}
