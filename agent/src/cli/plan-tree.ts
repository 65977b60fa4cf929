import { formatBytes, type ValidationResult } from '@anvil/shared';

interface Line {
  text: string;
  children: Line[];
}

function draw(lines: readonly Line[], prefix = ''): string[] {
  const out: string[] = [];
  lines.forEach((l, i) => {
    const last = i === lines.length - 1;
    out.push(`${prefix}${last ? '└─ ' : '├─ '}${l.text}`);
    out.push(...draw(l.children, prefix + (last ? '   ' : '│  ')));
  });
  return out;
}

/** The plan as a tree: disks → partitions → arrays/LVM → filesystems and mounts, with sizes when known. */
export function renderPlanTree(v: ValidationResult): string {
  const plan = v.plan!;
  const model = v.model!;
  const sizes = v.capacity?.sizes ?? new Map<string, bigint>();
  const usedBy = new Map<string, string>();
  for (const r of plan.raids ?? []) [...r.members, ...(r.spares ?? [])].forEach((m) => usedBy.set(m, `member of RAID "${r.id}"`));
  for (const vg of plan.volume_groups ?? []) vg.pvs.forEach((p) => usedBy.set(p, `PV of VG "${vg.name}"`));
  const images = new Map<string, string>();
  for (const im of plan.images ?? []) {
    const key = im.target.disk ?? im.target.device;
    if (key) images.set(key, `${im.format ?? 'raw'} image "${im.id}"`);
  }
  const describe = (id: string, spec: string): string => {
    const size = sizes.get(id);
    const parts = [id, size !== undefined ? formatBytes(size) : spec];
    const fs = model.filesystemOn.get(id);
    if (fs) parts.push(`→ ${fs.type}${fs.mount ? ` ${fs.mount.path}` : ''}${fs.label ? ` [${fs.label}]` : ''}${fs.keep ? ' (keep)' : ''}`);
    const use = usedBy.get(id);
    if (use) parts.push(`→ ${use}`);
    const img = images.get(id);
    if (img) parts.push(`← ${img}`);
    return parts.join('  ');
  };
  const roots: Line[] = [];
  for (const d of plan.disks) {
    const sel = Object.entries(d.select).map(([k, val]) => `${k}=${String(val)}`).join(' ');
    const real = v.resolved?.get(d.id);
    const table = d.table ?? 'gpt';
    const children: Line[] = (d.partitions ?? []).map((p) => ({
      text: describe(p.id, String(p.size)) + (p.type ? `  (${p.type})` : '') + (p.kind === 'extended' ? '  (extended)' : ''),
      children: (p.logical ?? []).map((l) => ({ text: describe(l.id, String(l.size)) + (l.type ? `  (${l.type})` : ''), children: [] })),
    }));
    if (plan.configdrive?.disk === d.id) children.push({ text: 'config drive (config-2) at the end of the disk', children: [] });
    roots.push({ text: `disk ${d.id}  [${sel}]${real ? ` = ${real.name} ${formatBytes(BigInt(real.size))}` : ''}  ${table}${table === 'none' ? '  ' + describe(d.id, '').replace(d.id, '').trim() : ''}`, children });
  }
  for (const r of plan.raids ?? []) {
    roots.push({ text: `raid ${describe(r.id, '?')}  level ${r.level}, metadata ${r.metadata ?? '1.2'}`, children: r.members.map((m) => ({ text: `member ${m}`, children: [] })) });
  }
  for (const vg of plan.volume_groups ?? []) {
    const vgl = v.capacity?.vgs.get(vg.id);
    roots.push({
      text: `vg ${vg.name} (${vg.id})  pvs: ${vg.pvs.join(', ')}${vgl ? `  ${formatBytes(vgl.totalExtents * vgl.extent)}` : ''}`,
      children: (vg.logical_volumes ?? []).map((lv) => ({ text: `${describe(lv.id, String(lv.size))}${lv.type && lv.type !== 'linear' ? `  (${lv.type}${lv.pool ? ` in ${lv.pool}` : ''})` : ''}`, children: [] })),
    });
  }
  const header = `plan v${plan.version}${plan.metadata?.name ? ` "${plan.metadata.name}"` : ''}  policy ${plan.policy?.data ?? 'clean'}`;
  const tail: string[] = [];
  for (const im of plan.images ?? []) tail.push(`image ${im.id}: ${im.source.url ?? im.source.file ?? `glance ${im.source.glance?.image_id}`} (${im.format ?? 'raw'}) → ${im.target.disk ?? im.target.device ?? im.target.path}`);
  if (plan.bootloader) tail.push(`bootloader: grub ${plan.bootloader.firmware ?? 'auto'} on ${plan.bootloader.targets.join(', ')}`);
  if (v.untouchable.length) tail.push(`untouched: ${v.untouchable.join(', ')}`);
  return [header, ...draw(roots), ...tail].join('\n');
}
