import { formatBytes, MiB, parseSize } from '../../size/units';
import type { CompileState } from '../state';
import { TOOLS } from '../tools';

/** MD arrays, in dependency order (an array of arrays after its members). */
export function compileArrays(s: CompileState): void {
  const raids = [...(s.plan.raids ?? [])];
  const built = new Set<string>();
  while (raids.length) {
    const idx = raids.findIndex((r) => [...r.members, ...(r.spares ?? [])].every((m) => s.model.nodes.get(m)?.kind !== 'raid' || built.has(m)));
    const r = raids.splice(idx < 0 ? 0 : idx, 1)[0]!;
    built.add(r.id);
    const device = s.dev(r.id);
    const members = r.members.map((m) => s.dev(m));
    const spares = (r.spares ?? []).map((m) => s.dev(m));
    const path = s.nodePath(r.id);
    if (s.policy === 'verify') {
      // A ramdisk with udev (the bootstrap image) has assembled the array at boot under its name already
      // (created with --homehost=any --name, it appears as /dev/md/<name>): its members are then busy, and a
      // second --assemble fails. Assembled only when it is not there.
      s.push({ kind: 'assemble_array', id: r.id, pointer: s.ptr(path), device, members: [...members, ...spares], summary: `assemble ${device}`, commands: [{ argv: [TOOLS.mdadm, '--assemble', '--run', device, ...members, ...spares], when: { missing: [device] } }] });
      continue;
    }
    const level = r.level === 'linear' ? 'linear' : String(r.level);
    const metadata = r.metadata ?? '1.2';
    const argv = [TOOLS.mdadm, '--create', device, '--run', `--metadata=${metadata}`, `--level=${level}`, `--raid-devices=${members.length}`];
    if (spares.length) argv.push(`--spare-devices=${spares.length}`);
    const chunk = r.chunk === undefined ? undefined : parseSize(r.chunk);
    if (chunk?.kind === 'bytes' && r.level !== 1 && r.level !== 'linear') argv.push(`--chunk=${chunk.bytes / 1024n}K`);
    // homehost "any": the deployed system assembles the array under its own name, whatever its hostname.
    if (metadata !== '0.90') argv.push('--homehost=any', `--name=${r.name ?? r.id}`);
    argv.push(...members, ...spares);
    s.push({ kind: 'create_array', id: r.id, pointer: s.ptr(path), device, level, members, spares, summary: `RAID ${level} ${device} from ${members.length} members${spares.length ? ` + ${spares.length} spare(s)` : ''} (${formatBytes(s.capacity.sizes.get(r.id) ?? 0n)})`, commands: [{ argv }] });
  }
}

/** Physical volumes, volume groups and logical volumes: thin pools before linear LVs before thin LVs. */
export function compileLvm(s: CompileState): void {
  (s.plan.volume_groups ?? []).forEach((vg, i) => {
    const vgl = s.capacity.vgs.get(vg.id);
    if (s.policy === 'verify') {
      s.push({ kind: 'activate_vg', id: vg.id, pointer: s.ptr(['volume_groups', i]), name: vg.name, summary: `activate volume group ${vg.name}`, commands: [{ argv: [TOOLS.vgchange, '--activate', 'y', vg.name] }] });
      return;
    }
    const pvs = vg.pvs.map((p) => s.dev(p));
    const meta = vg.pv_metadata_size === undefined ? undefined : parseSize(vg.pv_metadata_size);
    pvs.forEach((pv, k) =>
      s.push({
        kind: 'create_pv', id: vg.pvs[k]!, pointer: s.ptr(['volume_groups', i, 'pvs', k]), device: pv, summary: `physical volume on ${pv}`,
        probes: [{ argv: ['pvs', pv] }],
        commands: [{ argv: [TOOLS.pvcreate, '--force', '--force', '--yes', ...(meta?.kind === 'bytes' ? ['--metadatasize', `${meta.bytes}b`] : []), pv] }],
      }),
    );
    const extent = vgl?.extent ?? 4n * MiB;
    s.push({
      kind: 'create_vg', id: vg.id, pointer: s.ptr(['volume_groups', i]), name: vg.name, pvs,
      summary: `volume group ${vg.name} (${vgl ? `${vgl.totalExtents} extents of ${formatBytes(extent)}` : 'size unknown'})`,
      probes: [{ argv: ['vgs', vg.name] }],
      commands: [{ argv: [TOOLS.vgcreate, '--yes', '--physicalextentsize', `${extent / 1024n}k`, vg.name, ...pvs] }],
    });
    const lvs = vg.logical_volumes ?? [];
    const ordered = [...lvs.filter((l) => l.type === 'thin-pool'), ...lvs.filter((l) => (l.type ?? 'linear') === 'linear'), ...lvs.filter((l) => l.type === 'thin')];
    for (const lv of ordered) {
      const j = lvs.indexOf(lv);
      const type = lv.type ?? 'linear';
      const device = s.dev(lv.id);
      let argv: string[];
      if (type === 'thin') {
        const pool = s.model.nodes.get(lv.pool!);
        const poolName = pool?.kind === 'lv' ? pool.obj.name : lv.pool!;
        argv = [TOOLS.lvcreate, '--yes', '--type', 'thin', '--virtualsize', `${s.capacity.sizes.get(lv.id)!}b`, '--thinpool', poolName, '--name', lv.name, vg.name];
      } else {
        const ext = vgl!.lvExtents.get(lv.id)!;
        // lvm refuses --wipesignatures for thin pools (their data is never exposed unzeroed anyway).
        const wipe = type === 'thin-pool' ? ['--type', 'thin-pool'] : ['--wipesignatures', 'y', '--zero', 'y'];
        argv = [TOOLS.lvcreate, '--yes', ...wipe, '--extents', String(ext), '--name', lv.name, vg.name];
      }
      s.push({ kind: 'create_lv', id: lv.id, pointer: s.ptr(['volume_groups', i, 'logical_volumes', j]), device, lvType: type, summary: `${type} LV ${device} (${formatBytes(s.capacity.sizes.get(lv.id) ?? 0n)}${type === 'thin' ? ' virtual' : ''})`, commands: [{ argv }] });
    }
  });
}
