/** Small plans for tests. `basePlan()` is valid on its own; tests change one thing at a time. */
export type Json = Record<string, unknown>;

export function basePlan(): Json {
  return {
    version: 1,
    disks: [
      {
        id: 'd0',
        select: { name: 'sda', size: '== 20GiB' },
        partitions: [
          { id: 'p1', size: '1GiB' },
          { id: 'p2', size: 'remaining' },
        ],
      },
    ],
    filesystems: [
      { id: 'f1', device: 'p1', type: 'ext4', mount: { path: '/boot' } },
      { id: 'f2', device: 'p2', type: 'ext4', mount: { path: '/' } },
    ],
  };
}

export function disk(id: string, extra: Json = {}): Json {
  return { id, select: { name: id, size: '== 20GiB' }, ...extra };
}

export function inventoryDisk(name: string, size: number | string, extra: Json = {}): Json {
  return { name, size, ...extra };
}

/** Deep-clone a plan and apply a change to it. */
export function withPlan(change: (p: Json & { disks: Json[]; filesystems?: Json[] }) => void): Json {
  const p = structuredClone(basePlan()) as Json & { disks: Json[]; filesystems?: Json[] };
  change(p);
  return p;
}
