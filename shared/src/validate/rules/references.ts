import { describeNode, isBlockDevice, type NodeKind, type Use, type UseRole } from '../../model/model';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';

/**
 * Ids are unique, every reference resolves to an object of the right kind, each device has one use,
 * and nothing is stacked on itself.
 */
export function checkReferences(ctx: RuleContext): void {
  const { model, rb, plan } = ctx;
  for (const [id, paths] of model.duplicates) {
    for (const p of paths.slice(1)) rb.add('ref.duplicate_id', [...p, 'id'], `id "${id}" is already used at ${'/' + paths[0]!.join('/')}`);
  }

  const resolve = (ref: string, path: Path, accept: (kind: NodeKind) => boolean, what: string, device: boolean): boolean => {
    const node = model.nodes.get(ref);
    if (!node) {
      rb.add('ref.unresolved', path, `"${ref}" does not name any object of the plan`);
      return false;
    }
    if (!accept(node.kind) || (device && !isBlockDevice(node))) {
      const why = node.kind === 'disk' && device ? ' (a disk is a device only with `table: none`)' : '';
      rb.add('ref.wrong_kind', path, `"${ref}" is a ${describeNode(node)}, not ${what}${why}`);
      return false;
    }
    return true;
  };

  const uses = new Map<string, Use[]>();
  const use = (id: string, by: string, role: UseRole, path: Path): void => {
    const list = uses.get(id) ?? [];
    list.push({ by, role, path });
    uses.set(id, list);
  };

  plan.disks.forEach((d) => {
    if ((d.table ?? 'gpt') !== 'none') use(d.id, d.id, 'partitioned', model.nodes.get(d.id)!.path);
  });
  const memberKinds = (k: NodeKind): boolean => k === 'disk' || k === 'partition' || k === 'raid';
  (plan.raids ?? []).forEach((r, i) => {
    r.members.forEach((m, k) => {
      if (resolve(m, ['raids', i, 'members', k], memberKinds, 'a partition, array or whole disk', true)) use(m, r.id, 'member', ['raids', i, 'members', k]);
    });
    (r.spares ?? []).forEach((m, k) => {
      if (resolve(m, ['raids', i, 'spares', k], memberKinds, 'a partition, array or whole disk', true)) use(m, r.id, 'spare', ['raids', i, 'spares', k]);
    });
  });
  (plan.volume_groups ?? []).forEach((vg, i) => {
    vg.pvs.forEach((pv, k) => {
      if (resolve(pv, ['volume_groups', i, 'pvs', k], memberKinds, 'a partition, array or whole disk', true)) use(pv, vg.id, 'pv', ['volume_groups', i, 'pvs', k]);
    });
    (vg.logical_volumes ?? []).forEach((lv, j) => {
      if (lv.pool === undefined) return;
      const path: Path = ['volume_groups', i, 'logical_volumes', j, 'pool'];
      const pool = model.nodes.get(lv.pool);
      if (!pool) rb.add('ref.unresolved', path, `"${lv.pool}" does not name any object of the plan`);
      else if (pool.kind !== 'lv' || pool.obj.type !== 'thin-pool' || pool.vg !== vg.id) {
        rb.add('lvm.pool_missing', path, `"${lv.pool}" is not a thin pool of volume group "${vg.id}"`);
      }
    });
  });
  (plan.filesystems ?? []).forEach((f, i) => {
    const path: Path = ['filesystems', i, 'device'];
    const node = model.nodes.get(f.device);
    if (node && (node.kind === 'disk' || node.kind === 'partition') && !isBlockDevice(node)) {
      rb.add('mount.on_container', path, `"${f.device}" is ${node.kind === 'disk' ? 'partitioned' : 'an extended partition'}; put the filesystem on one of its partitions`);
      return;
    }
    if (resolve(f.device, path, (k) => k !== 'filesystem' && k !== 'image' && k !== 'vg', 'a partition, array, logical volume or whole disk', true)) {
      use(f.device, f.id, 'filesystem', path);
    }
  });
  (plan.images ?? []).forEach((im, i) => {
    const t = im.target;
    if (t.disk !== undefined && resolve(t.disk, ['images', i, 'target', 'disk'], (k) => k === 'disk', 'a disk', false)) {
      if ((im.format ?? 'raw') === 'raw' || im.format === 'qcow2') use(t.disk, im.id, 'whole-disk image', ['images', i, 'target', 'disk']);
    }
    if (t.device !== undefined) resolve(t.device, ['images', i, 'target', 'device'], (k) => k === 'partition' || k === 'raid' || k === 'lv' || k === 'disk', 'a partition, array, logical volume or whole disk', true);
  });
  if (plan.configdrive) resolve(plan.configdrive.disk, ['configdrive', 'disk'], (k) => k === 'disk', 'a disk', false);
  (plan.bootloader?.targets ?? []).forEach((t, k) => {
    const node = model.nodes.get(t);
    if (!node) rb.add('ref.unresolved', ['bootloader', 'targets', k], `"${t}" does not name any object of the plan`);
    else if (node.kind !== 'disk') rb.add('boot.target_not_disk', ['bootloader', 'targets', k], `"${t}" is a ${describeNode(node)}; boot loaders are installed on disks`);
  });

  for (const [id, list] of uses) {
    if (list.length < 2) continue;
    const first = list[0]!;
    for (const u of list.slice(1)) {
      if (u.role === 'whole-disk image' || first.role === 'whole-disk image') {
        rb.add('image.collides_with_partitions', u.role === 'whole-disk image' ? u.path : first.path, `disk "${id}" receives a whole-disk image, so it cannot also be ${u.role === 'whole-disk image' ? first.role : u.role} (by "${u.role === 'whole-disk image' ? first.by : u.by}")`);
        continue;
      }
      const rule = u.role === 'filesystem' && (first.role === 'member' || first.role === 'pv' || first.role === 'spare' || first.role === 'partitioned') ? 'mount.on_container' : 'ref.used_twice';
      rb.add(rule, u.path, `"${id}" is already used as ${first.role} of "${first.by}"; a device has one use`);
    }
  }

  // Cycles: an array or volume group built (indirectly) from itself.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const children = (id: string): string[] => {
    const n = model.nodes.get(id);
    if (n?.kind === 'raid') return [...n.obj.members, ...(n.obj.spares ?? [])];
    return [];
  };
  const visit = (id: string, path: Path): void => {
    if (done.has(id)) return;
    if (visiting.has(id)) {
      rb.add('ref.cycle', path, `"${id}" is built from itself`);
      return;
    }
    visiting.add(id);
    for (const c of children(id)) visit(c, path);
    visiting.delete(id);
    done.add(id);
  };
  (plan.raids ?? []).forEach((r, i) => visit(r.id, ['raids', i]));
}
