import type { Plan } from '../plan/v1/plan';
import type { DiskT, PartitionT, LogicalPartitionT } from '../plan/v1/disk';
import type { RaidT } from '../plan/v1/raid';
import type { VolumeGroupT, LogicalVolumeT } from '../plan/v1/lvm';
import type { FilesystemT } from '../plan/v1/filesystem';
import type { ImageT } from '../plan/v1/image';
import type { Path } from '../report/report';

/** Every object of a plan, indexed by id, with what it is and where it is. */
export type PlanNode =
  | { kind: 'disk'; id: string; path: Path; obj: DiskT }
  | { kind: 'partition'; id: string; path: Path; obj: PartitionT | LogicalPartitionT; disk: string; role: 'primary' | 'extended' | 'logical' }
  | { kind: 'raid'; id: string; path: Path; obj: RaidT }
  | { kind: 'vg'; id: string; path: Path; obj: VolumeGroupT }
  | { kind: 'lv'; id: string; path: Path; obj: LogicalVolumeT; vg: string }
  | { kind: 'filesystem'; id: string; path: Path; obj: FilesystemT }
  | { kind: 'image'; id: string; path: Path; obj: ImageT };

export type NodeKind = PlanNode['kind'];

export type UseRole = 'member' | 'spare' | 'pv' | 'filesystem' | 'partitioned' | 'whole-disk image';

export interface Use {
  readonly by: string;
  readonly role: UseRole;
  readonly path: Path;
}

export interface PlanModel {
  readonly plan: Plan;
  readonly nodes: ReadonlyMap<string, PlanNode>;
  /** Ids that appear more than once, with every place they appear. */
  readonly duplicates: ReadonlyMap<string, Path[]>;
  readonly filesystemOn: ReadonlyMap<string, FilesystemT>;
}

export function buildModel(plan: Plan): PlanModel {
  const nodes = new Map<string, PlanNode>();
  const duplicates = new Map<string, Path[]>();
  const put = (n: PlanNode): void => {
    const prior = nodes.get(n.id);
    if (prior) {
      const list = duplicates.get(n.id) ?? [prior.path];
      list.push(n.path);
      duplicates.set(n.id, list);
      return;
    }
    nodes.set(n.id, n);
  };
  plan.disks.forEach((d, i) => {
    put({ kind: 'disk', id: d.id, path: ['disks', i], obj: d });
    (d.partitions ?? []).forEach((p, j) => {
      const path: Path = ['disks', i, 'partitions', j];
      put({ kind: 'partition', id: p.id, path, obj: p, disk: d.id, role: p.kind === 'extended' ? 'extended' : 'primary' });
      (p.logical ?? []).forEach((l, k) =>
        put({ kind: 'partition', id: l.id, path: [...path, 'logical', k], obj: l, disk: d.id, role: 'logical' }),
      );
    });
  });
  (plan.raids ?? []).forEach((r, i) => put({ kind: 'raid', id: r.id, path: ['raids', i], obj: r }));
  (plan.volume_groups ?? []).forEach((vg, i) => {
    put({ kind: 'vg', id: vg.id, path: ['volume_groups', i], obj: vg });
    (vg.logical_volumes ?? []).forEach((lv, j) =>
      put({ kind: 'lv', id: lv.id, path: ['volume_groups', i, 'logical_volumes', j], obj: lv, vg: vg.id }),
    );
  });
  (plan.filesystems ?? []).forEach((f, i) => put({ kind: 'filesystem', id: f.id, path: ['filesystems', i], obj: f }));
  (plan.images ?? []).forEach((im, i) => put({ kind: 'image', id: im.id, path: ['images', i], obj: im }));
  const filesystemOn = new Map<string, FilesystemT>();
  for (const f of plan.filesystems ?? []) if (!filesystemOn.has(f.device)) filesystemOn.set(f.device, f);
  return { plan, nodes, duplicates, filesystemOn };
}

/** A node that is a block device something can be put on. */
export function isBlockDevice(n: PlanNode | undefined): boolean {
  if (!n) return false;
  if (n.kind === 'disk') return (n.obj.table ?? 'gpt') === 'none';
  if (n.kind === 'partition') return n.role !== 'extended';
  if (n.kind === 'raid') return true;
  if (n.kind === 'lv') return (n.obj.type ?? 'linear') !== 'thin-pool';
  return false;
}

export function describeNode(n: PlanNode): string {
  switch (n.kind) {
    case 'lv':
      return n.obj.type === 'thin-pool' ? `thin pool "${n.id}"` : `logical volume "${n.id}"`;
    case 'vg':
      return `volume group "${n.id}"`;
    case 'partition':
      return `${n.role === 'extended' ? 'extended partition' : 'partition'} "${n.id}"`;
    default:
      return `${n.kind} "${n.id}"`;
  }
}

const ancestries = new WeakMap<PlanModel, Map<string, readonly string[]>>();

/**
 * Ids below a device (itself included): what it is built from, down to disks. Memoised per model (a model
 * does not change once built): validating a plan asks this of every LV and filesystem, and each walk would
 * otherwise descend to every member disk again.
 */
export function ancestry(model: PlanModel, id: string): readonly string[] {
  let memo = ancestries.get(model);
  if (!memo) ancestries.set(model, (memo = new Map()));
  return walk(model, id, memo, new Set());
}

function below(n: PlanNode): readonly string[] {
  switch (n.kind) {
    case 'partition':
      return [n.disk];
    case 'raid':
      return [...n.obj.members, ...(n.obj.spares ?? [])];
    case 'vg':
      return n.obj.pvs;
    case 'lv':
      return n.obj.pool ? [n.vg, n.obj.pool] : [n.vg];
    case 'filesystem':
      return [n.obj.device];
    default:
      return [];
  }
}

function walk(model: PlanModel, id: string, memo: Map<string, readonly string[]>, visiting: Set<string>): readonly string[] {
  const known = memo.get(id);
  if (known) return known;
  const n = model.nodes.get(id);
  if (!n || visiting.has(id)) return []; // unknown ids and cycles are reported by other rules
  visiting.add(id);
  const out = new Set<string>([id]);
  for (const child of below(n)) for (const a of walk(model, child, memo, visiting)) out.add(a);
  visiting.delete(id);
  const list = [...out];
  memo.set(id, list);
  return list;
}
