import { z } from 'zod';
import { AnvilError } from '../errors/anvil-error';
import { makeId, mountOf, fsTypeOf, type Conversion, type ConversionWarning } from './common';

const Volume = z.looseObject({
  type: z.string(),
  size: z.number().optional(),
  mount: z.string().optional(),
  file_system: z.string().optional(),
  disk_label: z.string().optional(),
  partition_guid: z.string().optional(),
  keep_data: z.boolean().optional(),
  name: z.string().optional(),
  vg: z.string().optional(),
  lvm_meta_size: z.number().optional(),
});

const Space = z.looseObject({
  type: z.string(),
  id: z.string(),
  name: z.string().optional(),
  extra: z.array(z.string()).optional(),
  size: z.number().optional(),
  bootable: z.boolean().optional(),
  volumes: z.array(Volume).default([]),
});

const ImageData = z.record(z.string(), z.looseObject({ uri: z.string(), format: z.string().optional(), container: z.string().optional() }));

const Provision = z.looseObject({
  hostname: z.string().optional(),
  ks_meta: z.looseObject({
    image_data: ImageData.optional(),
    pm_data: z.looseObject({ kernel_params: z.string().optional(), ks_spaces: z.array(Space) }),
  }),
});

type SpaceT = z.infer<typeof Space>;

/** Sizes in Nailgun are integer MiB. */
const mib = (n: number): string => `${n}MiB`;

/**
 * Converts Fuel/Nailgun `provision.json` (ks_meta.pm_data.ks_spaces, image_data, kernel_params) into a
 * native plan, including the layout Fuel added implicitly: a 24 MiB bios_grub and a 200 MiB
 * (unformatted) UEFI partition at the head of every used disk, GRUB on every used disk.
 */
export function convertNailgun(input: unknown): Conversion {
  const data = Array.isArray(input) ? { ks_meta: { pm_data: { ks_spaces: input } } } : input;
  const parsed = Provision.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new AnvilError('convert.invalid_input', `not a Nailgun provision.json: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const src = parsed.data;
  const warnings: ConversionWarning[] = [];
  const warn = (pointer: string, message: string): void => void warnings.push({ pointer, message });
  const taken = new Set<string>();
  const spaces = src.ks_meta.pm_data.ks_spaces;
  const base = '/ks_meta/pm_data/ks_spaces';

  const disks: Array<Record<string, unknown>> = [];
  const filesystems: Array<Record<string, unknown>> = [];
  const raidsByMount = new Map<string, { members: string[]; vol: z.infer<typeof Volume> }>();
  const pvsByVg = new Map<string, { ids: string[]; meta?: number }>();
  let keep = false;
  let bootPlaced = false;
  const diskIds: string[] = [];

  const addFs = (device: string, vol: z.infer<typeof Volume>, pointer: string): void => {
    const mount = mountOf(vol.mount);
    let type = fsTypeOf(vol.file_system);
    if (!type && mount) type = mount === 'swap' ? 'swap' : 'xfs';
    if (!type) return;
    const fs: Record<string, unknown> = { id: makeId(`fs-${device}`, taken), device, type };
    if (vol.disk_label) {
      const label = vol.disk_label.slice(0, 12);
      if (label !== vol.disk_label) warn(`${pointer}/disk_label`, `label truncated to 12 characters, as Fuel did: "${label}"`);
      fs.label = label;
    }
    if (mount && type !== 'swap') fs.mount = { path: mount };
    if (vol.keep_data) {
      fs.keep = true;
      keep = true;
    }
    filesystems.push(fs);
  };

  spaces.forEach((space: SpaceT, i) => {
    if (space.type !== 'disk') return;
    const sp = `${base}/${i}`;
    const used = space.volumes.some((v) => v.type !== 'boot' && v.type !== 'lvm_meta_pool' && (v.size ?? 0) > 0);
    if (!used) {
      warn(sp, `disk "${space.id}" has no volumes with a size; Fuel skipped it and so does the plan (it stays untouched)`);
      return;
    }
    const id = makeId(space.name ?? space.id, taken, 'disk');
    diskIds.push(id);
    const byId = (space.extra ?? []).find((e) => e.startsWith('disk/by-id/'));
    const select: Record<string, unknown> = byId
      ? { by_id: byId.replace('disk/by-id/', '') }
      : space.id.startsWith('disk/by-path/')
        ? { by_path: space.id.replace('disk/by-path/', '') }
        : { name: space.name ?? space.id };
    const partitions: Array<Record<string, unknown>> = [
      { id: makeId(`${id}-bios-grub`, taken), size: '24MiB', type: 'bios_grub' },
      { id: makeId(`${id}-uefi`, taken), size: '200MiB', type: 'esp', name: 'UEFI partition' },
    ];
    space.volumes.forEach((vol, j) => {
      const vp = `${sp}/volumes/${j}`;
      const size = vol.size ?? 0;
      if (vol.type === 'boot' || vol.type === 'lvm_meta_pool') return; // sizing hints only
      if (size <= 0) return;
      if (vol.type === 'partition' || vol.type === 'cephjournal') {
        if (vol.type === 'cephjournal') warn(vp, 'cephjournal volumes become one plain partition; split journals by hand');
        const pid = makeId(`${id}-${vol.name ?? mountOf(vol.mount)?.replace(/\//g, '') ?? 'part'}`, taken);
        const part: Record<string, unknown> = { id: pid, size: mib(size) };
        if (vol.partition_guid) part.type = vol.partition_guid.toUpperCase();
        else if (fsTypeOf(vol.file_system) === 'swap' || mountOf(vol.mount) === 'swap') part.type = 'swap';
        if (vol.keep_data) {
          part.keep = true;
          keep = true;
        }
        partitions.push(part);
        addFs(pid, vol, vp);
      } else if (vol.type === 'pv') {
        const vg = vol.vg ?? 'os';
        const pid = makeId(`${id}-pv-${vg}`, taken);
        partitions.push({ id: pid, size: mib(size), type: 'lvm' });
        const entry = pvsByVg.get(vg) ?? { ids: [] };
        entry.ids.push(pid);
        if (vol.lvm_meta_size !== undefined) entry.meta = vol.lvm_meta_size;
        pvsByVg.set(vg, entry);
      } else if (vol.type === 'raid') {
        const mount = mountOf(vol.mount);
        if (mount === '/boot') {
          // Fuel put /boot on a plain partition of the first boot disk only (no md).
          if (bootPlaced) return;
          bootPlaced = true;
          const pid = makeId(`${id}-boot`, taken);
          partitions.push({ id: pid, size: mib(size) });
          addFs(pid, vol, vp);
          return;
        }
        const pid = makeId(`${id}-raid-${(mount ?? 'md').replace(/\//g, '') || 'root'}`, taken);
        partitions.push({ id: pid, size: mib(size), type: 'raid' });
        const key = mount ?? `unmounted-${i}-${j}`;
        const entry = raidsByMount.get(key) ?? { members: [], vol };
        entry.members.push(pid);
        raidsByMount.set(key, entry);
      } else {
        warn(vp, `volume type "${vol.type}" is not known and was dropped`);
      }
    });
    disks.push({ id, select, table: 'gpt', partitions });
  });

  const raids: Array<Record<string, unknown>> = [];
  for (const [mount, { members, vol }] of raidsByMount) {
    const rid = makeId(`md-${mount.replace(/\//g, '') || 'root'}`, taken);
    if (members.length < 2) {
      warn(base, `raid for ${mount} has one member; it becomes a plain partition filesystem`);
      addFs(members[0]!, vol, base);
      continue;
    }
    raids.push({ id: rid, level: 1, members });
    addFs(rid, vol, base);
  }

  const volumeGroups: Array<Record<string, unknown>> = [];
  spaces.forEach((space, i) => {
    if (space.type !== 'vg') return;
    const pvs = pvsByVg.get(space.id);
    if (!pvs) {
      warn(`${base}/${i}`, `volume group "${space.id}" has no PVs on any used disk and was dropped`);
      return;
    }
    const vgId = makeId(`vg-${space.id}`, taken);
    const lvs: Array<Record<string, unknown>> = [];
    space.volumes.forEach((vol, j) => {
      if (vol.type !== 'lv' || (vol.size ?? 0) <= 0) return;
      const lvId = makeId(`${space.id}-${vol.name ?? 'lv'}`, taken);
      lvs.push({ id: lvId, name: vol.name ?? lvId, size: mib(vol.size!) });
      addFs(lvId, vol, `${base}/${i}/volumes/${j}`);
    });
    const vg: Record<string, unknown> = { id: vgId, name: space.id, pvs: pvs.ids, logical_volumes: lvs };
    if (pvs.meta !== undefined) vg.pv_metadata_size = mib(Math.max(1, Math.floor((pvs.meta - 8) / 2)));
    volumeGroups.push(vg);
  });

  const images: Array<Record<string, unknown>> = [];
  Object.entries(src.ks_meta.image_data ?? {}).forEach(([mount, img]) => {
    const fs = filesystems.find((f) => (f.mount as { path?: string } | undefined)?.path === mount);
    const ip = `/ks_meta/image_data/${mount.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!fs) {
      warn(ip, `no filesystem is mounted at ${mount}; the image was dropped`);
      return;
    }
    images.push({
      id: makeId(`image-${mount.replace(/\//g, '') || 'root'}`, taken),
      source: img.uri.startsWith('file://') ? { file: img.uri.slice(7) } : { url: img.uri },
      format: 'filesystem',
      compression: img.container === 'gzip' ? 'gzip' : 'none',
      target: { device: fs.device },
    });
    warn(ip, 'Fuel read the md5 from a side file; add a sha256 checksum to the plan');
  });

  const plan: Record<string, unknown> = { version: 1 };
  if (src.hostname) plan.metadata = { name: src.hostname };
  if (keep) {
    plan.policy = { data: 'verify' };
    warn(base, 'keep_data is set: the plan uses policy.data "verify" (the layout must already be on disk), as Fuel skipped partitioning');
  }
  plan.disks = disks;
  if (raids.length) plan.raids = raids;
  if (volumeGroups.length) plan.volume_groups = volumeGroups;
  if (filesystems.length) plan.filesystems = filesystems;
  if (images.length) plan.images = images;
  const params = (src.ks_meta.pm_data.kernel_params ?? '').split(/\s+/).filter(Boolean);
  if (diskIds.length) plan.bootloader = { firmware: 'bios', targets: diskIds, ...(params.length ? { kernel_params: params } : {}) };
  warn('', 'Fuel rendered the config drive from templates; give the plan a `configdrive` from Ironic instead');
  return { plan, warnings };
}
