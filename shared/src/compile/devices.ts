import type { PlanModel } from '../model/model';
import type { InventoryDiskT } from '../inventory/schema';
import type { Capacity } from '../layout/capacity';

/** `/dev/sda` + 1 → `/dev/sda1`; `/dev/nvme0n1` + 1 → `/dev/nvme0n1p1` (a name ending in a digit takes `p`). */
export function partitionDevice(disk: string, number: number): string {
  return /\d$/.test(disk) ? `${disk}p${number}` : `${disk}${number}`;
}

/** Maps every plan object that is (or holds) a block device to its path on the machine. */
export function deviceMap(model: PlanModel, resolved: ReadonlyMap<string, InventoryDiskT>, capacity: Capacity): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, inv] of resolved) out.set(id, inv.name);
  for (const [diskId, layout] of capacity.layouts) {
    const disk = out.get(diskId);
    if (!disk) continue;
    for (const p of layout.partitions) out.set(p.role === 'configdrive' ? `${diskId}@configdrive` : p.id, partitionDevice(disk, p.number));
  }
  for (const n of model.nodes.values()) {
    if (n.kind === 'raid') out.set(n.id, `/dev/md/${n.obj.name ?? n.id}`);
    if (n.kind === 'lv') {
      const vg = model.nodes.get(n.vg);
      if (vg?.kind === 'vg') out.set(n.id, `/dev/${vg.obj.name}/${n.obj.name}`);
    }
  }
  return out;
}
