import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import { makeId, mountOf, fsTypeOf, type Conversion, type ConversionWarning } from './common';

const SizeValue = z.union([z.string(), z.number()]);

const Volume = z.looseObject({
  type: z.string(),
  size: SizeValue.optional(),
  mount: z.string().optional(),
  file_system: z.string().optional(),
  disk_label: z.string().optional(),
  partition_guid: z.string().optional(),
  fstab_enabled: z.boolean().optional(),
  fstab_options: z.string().optional(),
  keep_data: z.boolean().optional(),
  name: z.string().optional(),
  vg: z.string().optional(),
  lvm_meta_size: SizeValue.optional(),
});

const DiskSpace = z.looseObject({
  type: z.literal('disk'),
  id: z.looseObject({ type: z.enum(['name', 'path', 'scsi']), value: z.string() }),
  size: SizeValue.optional(),
  name: z.string().optional(),
  volumes: z.array(Volume).default([]),
});

const VgSpace = z.looseObject({ type: z.literal('vg'), id: z.string(), volumes: z.array(Volume).default([]) });

const DeployConfig = z.looseObject({
  images: z
    .array(z.looseObject({ name: z.string().optional(), url: z.string().optional(), image_pull_url: z.string().optional(), target: z.string().optional(), boot: z.boolean().optional() }))
    .optional(),
  partitions_policy: z.enum(['verify', 'clean', 'nailgun_legacy']).optional(),
  deploy_data: z.looseObject({ kernel_params: z.string().optional() }).optional(),
  partitions: z.array(z.union([DiskSpace, VgSpace])),
});

type VolumeT = z.infer<typeof Volume>;

/** Bareon sizes: a bare number is MiB; strings are "<n> <unit>", "<n>%" or "remaining". */
function size(value: string | number | undefined): string {
  if (value === undefined) return 'remaining';
  if (typeof value === 'number') return `${value}MiB`;
  const v = value.trim();
  return /^\d+(\.\d+)?$/.test(v) ? `${v}MiB` : v;
}

/** Bareon chose GPT types from the filesystem: ext2/3/4 and xfs linux, vfat basic data, swap, md member raid, PV lvm. */
function autoType(fsType: string | undefined): string | undefined {
  if (fsType === 'vfat') return 'basic_data';
  if (fsType === 'swap') return 'swap';
  return undefined;
}

/**
 * Converts bareon's Ironic `deploy_config` (partitions, partitions_policy, images, deploy_data) into a
 * native plan. Bareon's implicit 24 MiB bios_grub at the head of every disk becomes explicit.
 */
export function convertBareon(input: unknown): Conversion {
  const parsed = DeployConfig.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new AnvilError('convert.invalid_input', `not a bareon deploy_config: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const src = parsed.data;
  const warnings: ConversionWarning[] = [];
  const warn = (pointer: string, message: string): void => void warnings.push({ pointer, message });
  const taken = new Set<string>();
  const policy = src.partitions_policy ?? 'verify';
  if (policy === 'nailgun_legacy') warn('/partitions_policy', '"nailgun_legacy" becomes "verify": kept filesystems survive, the layout must match');
  const verify = policy !== 'clean';

  const disks: Array<Record<string, unknown>> = [];
  const filesystems: Array<Record<string, unknown>> = [];
  const raids = new Map<string, { members: string[]; vol: VolumeT; name?: string }>();
  const pvsByVg = new Map<string, string[]>();
  const diskIds: string[] = [];

  const addFs = (device: string, vol: VolumeT, pointer: string): void => {
    const mount = mountOf(vol.mount);
    let type = fsTypeOf(vol.file_system);
    if (!type && mount) type = mount === 'swap' ? 'swap' : 'xfs';
    if (!type) return;
    const fs: Record<string, unknown> = { id: makeId(`fs-${device}`, taken), device, type };
    if (vol.disk_label) fs.label = vol.disk_label;
    if (mount && type !== 'swap') {
      const options = (vol.fstab_options ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      fs.mount = { path: mount, ...(options.length ? { options } : {}) };
    }
    if (vol.fstab_enabled === false) fs.fstab = false;
    // bareon keeps data by default; only "verify" honours it.
    if (verify && vol.keep_data !== false) fs.keep = true;
    if (!verify && vol.keep_data === true) warn(`${pointer}/keep_data`, 'partitions_policy "clean" recreates everything; keep_data is ignored');
    filesystems.push(fs);
  };

  src.partitions.forEach((space, i) => {
    if (space.type !== 'disk') return;
    const sp = `/partitions/${i}`;
    const id = makeId(space.name ?? space.id.value.replace(/^(\/dev\/)?disk\/by-(path|id)\//, ''), taken, 'disk');
    diskIds.push(id);
    const select =
      space.id.type === 'name' ? { name: space.id.value } : space.id.type === 'path' ? { by_path: space.id.value.replace(/^(\/dev\/)?disk\/by-path\//, '') } : { hctl: space.id.value };
    if (space.id.type === 'path' && space.id.value.includes('by-id/')) {
      Object.assign(select, { by_id: space.id.value.replace(/^(\/dev\/)?disk\/by-id\//, '') });
      delete (select as { by_path?: string }).by_path;
    }
    const partitions: Array<Record<string, unknown>> = [{ id: makeId(`${id}-bios-grub`, taken), size: '24MiB', type: 'bios_grub' }];
    space.volumes.forEach((vol, j) => {
      const vp = `${sp}/volumes/${j}`;
      if (vol.type === 'partition' || vol.type === 'boot') {
        const mount = mountOf(vol.mount);
        const pid = makeId(`${id}-${vol.name ?? (mount === '/' ? 'root' : mount?.replace(/\//g, '')) ?? 'part'}`, taken);
        const part: Record<string, unknown> = { id: pid, size: size(vol.size) };
        const t = vol.partition_guid ? vol.partition_guid.toUpperCase() : autoType(fsTypeOf(vol.file_system) ?? (mount === 'swap' ? 'swap' : undefined));
        if (t) part.type = t;
        partitions.push(part);
        addFs(pid, vol, vp);
      } else if (vol.type === 'pv') {
        const vg = vol.vg ?? 'os';
        const pid = makeId(`${id}-pv-${vg}`, taken);
        partitions.push({ id: pid, size: size(vol.size), type: 'lvm' });
        pvsByVg.set(vg, [...(pvsByVg.get(vg) ?? []), pid]);
        if (vol.lvm_meta_size !== undefined) warn(`${vp}/lvm_meta_size`, 'lvm_meta_size is left to LVM’s default, as later bareon did');
      } else if (vol.type === 'raid') {
        const mount = mountOf(vol.mount) ?? vol.name ?? `md-${i}-${j}`;
        const pid = makeId(`${id}-raid-${mount.replace(/\//g, '') || 'root'}`, taken);
        partitions.push({ id: pid, size: size(vol.size), type: 'raid' });
        const entry = raids.get(mount) ?? { members: [], vol, ...(vol.name ? { name: vol.name } : {}) };
        entry.members.push(pid);
        raids.set(mount, entry);
      } else {
        warn(vp, `volume type "${vol.type}" is not known and was dropped`);
      }
    });
    disks.push({ id, select, table: 'gpt', partitions });
  });

  const raidList: Array<Record<string, unknown>> = [];
  for (const [mount, r] of raids) {
    const rid = makeId(r.name ?? `md-${mount.replace(/\//g, '') || 'root'}`, taken);
    raidList.push({ id: rid, level: 1, members: r.members });
    addFs(rid, r.vol, '/partitions');
  }

  const vgs: Array<Record<string, unknown>> = [];
  src.partitions.forEach((space, i) => {
    if (space.type !== 'vg') return;
    const pvs = pvsByVg.get(space.id);
    if (!pvs) {
      warn(`/partitions/${i}`, `volume group "${space.id}" has no PVs and was dropped`);
      return;
    }
    const lvs: Array<Record<string, unknown>> = [];
    space.volumes.forEach((vol, j) => {
      if (vol.type !== 'lv') return;
      const lvId = makeId(`${space.id}-${vol.name ?? 'lv'}`, taken);
      lvs.push({ id: lvId, name: vol.name ?? lvId, size: size(vol.size) });
      addFs(lvId, vol, `/partitions/${i}/volumes/${j}`);
    });
    vgs.push({ id: makeId(`vg-${space.id}`, taken), name: space.id, pvs, logical_volumes: lvs });
  });

  const images: Array<Record<string, unknown>> = [];
  (src.images ?? []).forEach((img, k) => {
    const url = img.image_pull_url ?? img.url;
    const target = img.target ?? '/';
    const fs = filesystems.find((f) => (f.mount as { path?: string } | undefined)?.path === target);
    if (!url || !fs) {
      warn(`/images/${k}`, !url ? 'image has no url and was dropped' : `no filesystem is mounted at ${target}; the image was dropped`);
      return;
    }
    if (fs.keep) {
      warn(`/images/${k}`, `"verify" keeps ${target}, so bareon skipped the image; so does the plan`);
      return;
    }
    images.push({ id: makeId(`image-${img.name ?? k}`, taken), source: { url }, format: 'filesystem', target: { device: fs.device } });
  });
  if ((src.images ?? []).length > 1) warn('/images', 'bareon multi-image boot menus are not converted; only the images are written');

  const plan: Record<string, unknown> = { version: 1, policy: { data: verify ? 'verify' : 'clean' }, disks };
  if (raidList.length) plan.raids = raidList;
  if (vgs.length) plan.volume_groups = vgs;
  if (filesystems.length) plan.filesystems = filesystems;
  if (images.length) plan.images = images;
  const params = (src.deploy_data?.kernel_params ?? '').split(/\s+/).filter(Boolean);
  if (diskIds.length && !verify) plan.bootloader = { firmware: 'bios', targets: diskIds, ...(params.length ? { kernel_params: params } : {}) };
  if (verify) warn('/partitions_policy', 'under "verify" bareon did not reinstall the boot loader; neither does the plan');
  return { plan, warnings };
}
