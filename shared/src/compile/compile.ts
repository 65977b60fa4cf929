import { posix } from 'node:path';
import { AnvilError } from '../errors/anvil-error';
import { resolvePartitionType, MBR_EXTENDED, TYPE_ALIASES } from '../plan/aliases';
import type { PartitionT, LogicalPartitionT } from '../plan/v1/disk';
import type { FilesystemT } from '../plan/v1/filesystem';
import { formatBytes, MiB, parseSize } from '../size/units';
import { isKept, dataPolicy } from '../model/policy';
import { parseChecksum } from '../model/checksum';
import { toPointer, type Path } from '../report/report';
import { validatePlan, type ValidateOptions, type ValidationResult } from '../validate/validate';
import type { Report } from '../report/report';
import type { Action, ActionInput, CompiledPlan, Command } from './actions';
import { deviceMap } from './devices';
import { mkfsTool, TOOLS } from './tools';
import { derivedUuid, derivedVolumeId, planSeed } from './uuids';

export interface CompileOptions {
  /** Where the deployed tree is mounted while the agent works. Default `/mnt/anvil`. */
  readonly targetRoot?: string;
  /** Seeds derived filesystem UUIDs. Default: metadata.deployment_id, else node_uuid, else a hash of the plan. */
  readonly seed?: string;
}

const FLAG_TYPES: Readonly<Record<string, string>> = { esp: 'esp', boot: 'esp', bios_grub: 'bios_grub', raid: 'raid', lvm: 'lvm', swap: 'swap' };

function partitionTypeArgs(table: 'gpt' | 'msdos', p: PartitionT | LogicalPartitionT): { guid?: string; mbr?: number } {
  let type = p.type;
  if (type === undefined) {
    const flagType = (p.flags ?? []).filter((f) => table === 'gpt' || f !== 'boot').map((f) => FLAG_TYPES[f]).find((t) => t !== undefined);
    if (flagType !== undefined && (table === 'gpt' || TYPE_ALIASES[flagType]?.mbr !== undefined)) type = flagType;
  }
  const r = resolvePartitionType(table, type, p.mbr_type);
  if (!r.ok) throw new AnvilError('compile.invalid_type', r.reason);
  return table === 'gpt' ? { guid: r.guid! } : { mbr: r.mbr! };
}

function fstabLine(fs: FilesystemT, uuid: string): string {
  if (fs.type === 'swap') return `UUID=${uuid} none swap sw 0 0`;
  const path = fs.mount!.path;
  const opts = (fs.mount!.options ?? ['defaults']).join(',');
  const pass = path === '/' ? (fs.type.startsWith('ext') ? 1 : 0) : fs.type.startsWith('ext') || fs.type === 'vfat' ? 2 : 0;
  return `UUID=${uuid} ${path} ${fs.type} ${opts} 0 ${pass}`;
}

function mkfsArgs(fs: FilesystemT, device: string, uuid: string): string[] {
  const label = fs.label;
  const extra = fs.mkfs_options ?? [];
  switch (fs.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      return [mkfsTool(fs.type), '-F', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device];
    case 'xfs':
      return [mkfsTool(fs.type), '-f', ...(label !== undefined ? ['-L', label] : []), '-m', `uuid=${uuid}`, ...extra, device];
    case 'vfat':
      return [mkfsTool(fs.type), ...(label !== undefined ? ['-n', label] : []), '-i', uuid.replace('-', ''), ...extra, device];
    case 'swap':
      return [mkfsTool(fs.type), '-f', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device];
    case 'btrfs':
      return [mkfsTool(fs.type), '-f', ...(label !== undefined ? ['-L', label] : []), '-U', uuid, ...extra, device];
  }
}

/** After a filesystem image is written: check, grow to the device, give it this deployment's UUID. */
function imagePostCommands(fs: FilesystemT, device: string, uuid: string): Command[] {
  if (fs.type.startsWith('ext')) {
    return [{ argv: ['e2fsck', '-f', '-p', device] }, { argv: ['resize2fs', device] }, { argv: ['tune2fs', '-U', uuid, device] }];
  }
  if (fs.type === 'xfs') return [{ argv: ['xfs_admin', '-U', uuid, device] }];
  if (fs.type === 'btrfs') return [{ argv: ['btrfstune', '-f', '-U', uuid, device] }];
  return [];
}

/** Mount order: "/" first, then by depth; swap (no path) last. */
function depth(path: string | undefined): number {
  if (path === undefined) return 1000;
  return path === '/' ? 0 : path.split('/').length - 1;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    if (u.search) u.search = '?…';
    return u.toString();
  } catch {
    return '<url>';
  }
}

/**
 * Turns a validated plan and its inventory into the exact, ordered actions the agent runs. Pure and
 * deterministic: the same plan, inventory and seed always give the same actions.
 */
export function compileValidated(v: ValidationResult, options: CompileOptions = {}): CompiledPlan {
  if (!v.report.valid || !v.plan || !v.model || !v.capacity) {
    throw new AnvilError('compile.invalid_plan', 'the plan does not validate; fix the reported errors first', { entries: v.report.entries });
  }
  if (!v.resolved || v.resolved.size !== v.plan.disks.length) {
    throw new AnvilError('compile.no_inventory', 'compiling needs an inventory that resolves every disk of the plan');
  }
  const { plan, model, capacity } = v;
  const resolved = v.resolved;
  const targetRoot = options.targetRoot ?? '/mnt/anvil';
  const seed = options.seed ?? plan.metadata?.deployment_id ?? plan.metadata?.node_uuid ?? planSeed(plan);
  const policy = dataPolicy(plan);
  const dev = deviceMap(model, resolved, capacity);
  const devOf = (id: string): string => {
    const d = dev.get(id);
    if (!d) throw new AnvilError('compile.unknown_device', `no device for "${id}"`);
    return d;
  };
  const actions: Action[] = [];
  const push = (a: ActionInput): void => {
    actions.push({ ...a, seq: actions.length + 1 } as Action);
  };
  const ptr = (p: Path): string => toPointer(p);
  const nodePath = (id: string): Path => model.nodes.get(id)?.path ?? [];
  const wholeDiskImages = new Map((plan.images ?? []).filter((im) => im.target.disk !== undefined).map((im) => [im.target.disk!, im]));

  // 1. Teardown and wipe (clean only): everything on the named disks goes, holders first.
  if (policy === 'clean') {
    plan.disks.forEach((d, i) => {
      const device = devOf(d.id);
      push({ kind: 'teardown', id: d.id, pointer: ptr(['disks', i]), device, summary: `tear down what is stacked on ${device} (mounts, swap, LVM, MD), holders first`, commands: [], internal: 'holders are read from /sys/class/block/*/holders at run time; only devices on this disk are stopped' });
    });
    plan.disks.forEach((d, i) => {
      const mode = d.wipe ?? plan.policy?.wipe ?? 'metadata';
      if (mode === 'none') return;
      const device = devOf(d.id);
      const size = BigInt(resolved.get(d.id)!.size);
      const commands: Command[] =
        mode === 'metadata'
          ? [
              { argv: [TOOLS.wipefs, '--all', '--force', device] },
              { argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=1M', `count=${size < MiB ? size : MiB}`, 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] },
              ...(size > 2n * MiB
                ? [{ argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=1M', `seek=${size - MiB}`, `count=${MiB}`, 'oflag=seek_bytes', 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] }]
                : []),
            ]
          : mode === 'zero'
            ? [{ argv: [TOOLS.dd, 'if=/dev/zero', `of=${device}`, 'bs=4M', `count=${size}`, 'iflag=count_bytes', 'conv=fsync,notrunc', 'status=none'] }]
            : [{ argv: [TOOLS.blkdiscard, '--force', device] }];
      push({ kind: 'wipe', id: d.id, pointer: ptr(['disks', i, 'wipe']), device, mode, sizeBytes: size.toString(), summary: `wipe ${device} (${mode})`, commands });
    });
  }

  // 2. Partition tables (clean) or their verification (verify).
  plan.disks.forEach((d, i) => {
    const layout = capacity.layouts.get(d.id);
    if (!layout) return;
    const device = devOf(d.id);
    const table = layout.table;
    if (policy === 'verify') {
      push({
        kind: 'verify_table', id: d.id, pointer: ptr(['disks', i]), device, table,
        expected: layout.partitions.filter((p) => p.role !== 'configdrive').map((p) => ({ number: p.number, startSector: p.start.toString(), endSector: p.end.toString() })),
        summary: `verify that ${device} holds the planned ${table} partitions (within alignment)`,
        commands: [{ argv: [TOOLS.sfdisk, '--json', device] }],
        internal: 'the table read back is compared with the plan; a mismatch stops the run before anything is written',
      });
      return;
    }
    push({
      kind: 'create_table', id: d.id, pointer: ptr(['disks', i, 'table']), device, table,
      summary: `new ${table} partition table on ${device}`,
      commands: [table === 'gpt' ? { argv: [TOOLS.sgdisk, '--clear', device] } : { argv: [TOOLS.parted, '--script', device, 'mklabel', 'msdos'] }],
    });
    for (const p of layout.partitions) {
      const pdev = devOf(p.role === 'configdrive' ? `${d.id}@configdrive` : p.id);
      const node = model.nodes.get(p.id);
      const obj = node?.kind === 'partition' ? node.obj : undefined;
      const bytes = (p.end - p.start + 1n) * layout.sector;
      const commands: Command[] = [];
      let typeGuid: string | undefined;
      let mbrType: number | undefined;
      if (table === 'gpt') {
        const t = obj ? partitionTypeArgs('gpt', obj) : { guid: TYPE_ALIASES.linux!.guid };
        typeGuid = t.guid;
        const name = p.role === 'configdrive' ? 'config-2' : obj?.name;
        const argv = [TOOLS.sgdisk, `--set-alignment=${layout.alignSectors}`, `--new=${p.number}:${p.start}:${p.end}`, `--typecode=${p.number}:${t.guid}`];
        if (name !== undefined) argv.push(`--change-name=${p.number}:${name}`);
        if ((obj?.flags ?? []).includes('legacy_boot')) argv.push(`--attributes=${p.number}:set:2`);
        argv.push(device);
        commands.push({ argv });
      } else {
        const kind = p.role === 'configdrive' ? 'primary' : p.role;
        commands.push({ argv: [TOOLS.parted, '--script', '--align', 'none', device, 'unit', 's', 'mkpart', kind, `${p.start}`, `${p.end}`] });
        if (p.role === 'extended') mbrType = MBR_EXTENDED;
        else {
          mbrType = obj ? partitionTypeArgs('msdos', obj).mbr! : 0x83;
          commands.push({ argv: [TOOLS.sfdisk, '--part-type', device, String(p.number), mbrType.toString(16)] });
        }
        if ((obj?.flags ?? []).includes('boot')) commands.push({ argv: [TOOLS.parted, '--script', device, 'set', String(p.number), 'boot', 'on'] });
      }
      push({
        kind: 'create_partition', id: p.role === 'configdrive' ? 'configdrive' : p.id, pointer: ptr(p.path), disk: device, device: pdev, number: p.number, role: p.role,
        startSector: p.start.toString(), endSector: p.end.toString(), sectorSize: Number(layout.sector),
        ...(typeGuid !== undefined ? { typeGuid } : {}), ...(mbrType !== undefined ? { mbrType } : {}),
        summary: `${p.role} partition ${p.number} on ${device}: sectors ${p.start}–${p.end} (${formatBytes(bytes)})`,
        commands,
      });
    }
    push({ kind: 'reread_table', id: d.id, pointer: ptr(['disks', i]), device, summary: `make the kernel see the partitions of ${device}`, commands: [{ argv: [TOOLS.partprobe, device] }, { argv: [TOOLS.udevadm, 'settle', '--timeout=60'] }] });
  });

  // 3. Arrays, in dependency order.
  const raids = [...(plan.raids ?? [])];
  const built = new Set<string>();
  while (raids.length) {
    const idx = raids.findIndex((r) => [...r.members, ...(r.spares ?? [])].every((m) => model.nodes.get(m)?.kind !== 'raid' || built.has(m)));
    const r = raids.splice(idx < 0 ? 0 : idx, 1)[0]!;
    built.add(r.id);
    const device = devOf(r.id);
    const members = r.members.map(devOf);
    const spares = (r.spares ?? []).map(devOf);
    const path = nodePath(r.id);
    if (policy === 'verify') {
      push({ kind: 'assemble_array', id: r.id, pointer: ptr(path), device, members: [...members, ...spares], summary: `assemble ${device}`, commands: [{ argv: [TOOLS.mdadm, '--assemble', '--run', device, ...members, ...spares] }] });
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
    push({ kind: 'create_array', id: r.id, pointer: ptr(path), device, level, members, spares, summary: `RAID ${level} ${device} from ${members.length} members${spares.length ? ` + ${spares.length} spare(s)` : ''} (${formatBytes(capacity.sizes.get(r.id) ?? 0n)})`, commands: [{ argv }] });
  }

  // 4. LVM.
  (plan.volume_groups ?? []).forEach((vg, i) => {
    const vgl = capacity.vgs.get(vg.id);
    if (policy === 'verify') {
      push({ kind: 'activate_vg', id: vg.id, pointer: ptr(['volume_groups', i]), name: vg.name, summary: `activate volume group ${vg.name}`, commands: [{ argv: [TOOLS.vgchange, '--activate', 'y', vg.name] }] });
      return;
    }
    const pvs = vg.pvs.map(devOf);
    const meta = vg.pv_metadata_size === undefined ? undefined : parseSize(vg.pv_metadata_size);
    pvs.forEach((pv, k) =>
      push({ kind: 'create_pv', id: vg.pvs[k]!, pointer: ptr(['volume_groups', i, 'pvs', k]), device: pv, summary: `physical volume on ${pv}`, commands: [{ argv: [TOOLS.pvcreate, '--force', '--force', '--yes', ...(meta?.kind === 'bytes' ? ['--metadatasize', `${meta.bytes}b`] : []), pv] }] }),
    );
    const extent = vgl?.extent ?? 4n * MiB;
    push({ kind: 'create_vg', id: vg.id, pointer: ptr(['volume_groups', i]), name: vg.name, pvs, summary: `volume group ${vg.name} (${vgl ? `${vgl.totalExtents} extents of ${formatBytes(extent)}` : 'size unknown'})`, commands: [{ argv: [TOOLS.vgcreate, '--yes', '--physicalextentsize', `${extent / 1024n}k`, vg.name, ...pvs] }] });
    const lvs = vg.logical_volumes ?? [];
    const ordered = [...lvs.filter((l) => l.type === 'thin-pool'), ...lvs.filter((l) => (l.type ?? 'linear') === 'linear'), ...lvs.filter((l) => l.type === 'thin')];
    for (const lv of ordered) {
      const j = lvs.indexOf(lv);
      const type = lv.type ?? 'linear';
      const device = devOf(lv.id);
      let argv: string[];
      if (type === 'thin') {
        const pool = model.nodes.get(lv.pool!);
        const poolName = pool?.kind === 'lv' ? pool.obj.name : lv.pool!;
        argv = [TOOLS.lvcreate, '--yes', '--type', 'thin', '--virtualsize', `${capacity.sizes.get(lv.id)!}b`, '--thinpool', poolName, '--name', lv.name, vg.name];
      } else {
        const ext = vgl!.lvExtents.get(lv.id)!;
        // lvm refuses --wipesignatures for thin pools (their data is never exposed unzeroed anyway).
        const wipe = type === 'thin-pool' ? ['--type', 'thin-pool'] : ['--wipesignatures', 'y', '--zero', 'y'];
        argv = [TOOLS.lvcreate, '--yes', ...wipe, '--extents', String(ext), '--name', lv.name, vg.name];
      }
      push({ kind: 'create_lv', id: lv.id, pointer: ptr(['volume_groups', i, 'logical_volumes', j]), device, lvType: type, summary: `${type} LV ${device} (${formatBytes(capacity.sizes.get(lv.id) ?? 0n)}${type === 'thin' ? ' virtual' : ''})`, commands: [{ argv }] });
    }
  });

  // 5. Images onto disks and devices, then filesystems for the rest.
  const uuids = new Map<string, string>();
  const fsFromImage = new Set<string>();
  (plan.images ?? []).forEach((im, i) => {
    const format = im.format ?? 'raw';
    if (format === 'tar') return;
    const targetId = im.target.disk ?? im.target.device!;
    const device = devOf(targetId);
    const fs = im.target.device !== undefined ? model.filesystemOn.get(im.target.device) : undefined;
    const checksum = im.checksum ? parseChecksum(im.checksum) : undefined;
    const src = im.source.url !== undefined ? redactUrl(im.source.url) : im.source.file !== undefined ? `file://${im.source.file}` : `glance:${im.source.glance!.image_id}`;
    const commands: Command[] = [];
    if (fs) {
      const uuid = fs.type === 'vfat' ? derivedVolumeId(seed, fs.id) : derivedUuid(seed, fs.id);
      uuids.set(fs.id, uuid);
      fsFromImage.add(fs.id);
      commands.push(...imagePostCommands(fs, device, uuid));
    }
    if (format !== 'filesystem' && im.target.disk !== undefined) commands.push({ argv: [TOOLS.sgdisk, '--move-second-header', device] });
    push({
      kind: 'write_image', id: im.id, pointer: ptr(['images', i]), device, format,
      summary: `stream ${src} (${format}, compression ${im.compression ?? 'auto'}) onto ${device}`,
      internal: `download → decompress → ${checksum ? `${checksum.algorithm} verify` : 'no checksum'} → ${device}; the first MiB is written only after the checksum matches`,
      commands,
    });
  });
  const filesystems = plan.filesystems ?? [];
  filesystems.forEach((fs, i) => {
    if (fsFromImage.has(fs.id)) return;
    const kept = isKept(model, fs.id);
    if (kept) return;
    const device = devOf(fs.device);
    const uuid = fs.uuid ?? (fs.type === 'vfat' ? derivedVolumeId(seed, fs.id) : derivedUuid(seed, fs.id));
    uuids.set(fs.id, uuid);
    push({ kind: 'mkfs', id: fs.id, pointer: ptr(['filesystems', i]), device, fsType: fs.type, uuid, ...(fs.label !== undefined ? { label: fs.label } : {}), summary: `${fs.type} on ${device}${fs.label ? ` labelled ${fs.label}` : ''}`, commands: [{ argv: mkfsArgs(fs, device, uuid) }] });
  });

  // 6. Mount the target tree, shallow paths first.
  const mounted = filesystems
    .map((fs, i) => ({ fs, i }))
    // Kept filesystems are not mounted: even a mount changes their bytes.
    .filter(({ fs }) => fs.mount !== undefined && !isKept(model, fs.id))
    .sort((a, b) => depth(a.fs.mount!.path) - depth(b.fs.mount!.path) || a.fs.mount!.path.localeCompare(b.fs.mount!.path));
  for (const { fs, i } of mounted) {
    const device = devOf(fs.device);
    const mountpoint = fs.mount!.path === '/' ? targetRoot : posix.join(targetRoot, fs.mount!.path);
    const commands: Command[] = [{ argv: [TOOLS.mkdir, '-p', mountpoint] }, { argv: [TOOLS.mount, '-t', fs.type, device, mountpoint] }];
    if (fsFromImage.has(fs.id) && fs.type === 'xfs') commands.push({ argv: ['xfs_growfs', mountpoint] });
    if (fsFromImage.has(fs.id) && fs.type === 'btrfs') commands.push({ argv: ['btrfs', 'filesystem', 'resize', 'max', mountpoint] });
    push({ kind: 'mount', id: fs.id, pointer: ptr(['filesystems', i, 'mount']), device, mountpoint, fsType: fs.type, summary: `mount ${device} at ${mountpoint}`, commands });
  }
  (plan.images ?? []).forEach((im, i) => {
    if ((im.format ?? 'raw') !== 'tar') return;
    const mountpoint = posix.join(targetRoot, im.target.path!);
    const src = im.source.url !== undefined ? redactUrl(im.source.url) : im.source.file ?? `glance:${im.source.glance!.image_id}`;
    push({ kind: 'extract_image', id: im.id, pointer: ptr(['images', i]), mountpoint, summary: `extract ${src} into ${mountpoint}`, commands: [{ argv: [TOOLS.mkdir, '-p', mountpoint] }], internal: `download → decompress → verify → tar extract keeping owners, modes, xattrs and ACLs into ${mountpoint}` });
  });

  // 7. Config drive.
  const cd = plan.configdrive;
  if (cd) {
    const disk = devOf(cd.disk);
    const partDev = dev.get(`${cd.disk}@configdrive`);
    const form = typeof cd.source === 'string' ? (/^https?:/i.test(cd.source.trim()) ? 'downloaded from a URL' : 'decoded from gzip+base64') : `built as ${cd.format ?? 'iso9660'} from JSON`;
    push({
      kind: 'write_configdrive', id: 'configdrive', pointer: '/configdrive', disk, ...(partDev ? { device: partDev } : {}),
      summary: `config drive (config-2, ${form}) on ${partDev ?? `a new partition at the end of ${disk}`}`,
      commands: partDev ? [] : wholeDiskImages.has(cd.disk) ? [{ argv: [TOOLS.sgdisk, '--move-second-header', disk] }] : [],
      internal: partDev ? `write the image to ${partDev} and read back its label and files` : 'after the whole-disk image: create a partition of at most 64 MiB at the end of the disk (GPT or MBR), write and read back',
    });
  }

  // 8. fstab and boot loader, inside the deployed tree.
  const root = filesystems.find((f) => f.mount?.path === '/');
  if (root) {
    const lines = filesystems
      .filter((fs) => fs.fstab !== false && (fs.mount !== undefined || fs.type === 'swap'))
      .sort((a, b) => depth(a.mount?.path) - depth(b.mount?.path))
      .map((fs) => fstabLine(fs, uuids.get(fs.id) ?? `@{${fs.id}}`));
    const content = `# written by Anvil\n${lines.join('\n')}\n`;
    const path = posix.join(targetRoot, 'etc/fstab');
    const keptRefs = lines.some((l) => l.includes('@{'));
    push({ kind: 'write_fstab', id: root.id, pointer: '/filesystems', path, content, summary: `fstab with ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'}, by UUID`, commands: [{ argv: [TOOLS.mkdir, '-p', posix.dirname(path)] }, { argv: [TOOLS.tee, path], stdin: content }], ...(keptRefs ? { internal: '@{id} stands for the UUID of a kept filesystem, read with blkid at run time' } : {}) });
  }
  const bl = plan.bootloader;
  if (bl && root) {
    const firmware = bl.firmware ?? 'auto';
    const targets = bl.targets.map(devOf);
    const chroot = (...argv: string[]): string[] => [TOOLS.chroot, targetRoot, ...argv];
    const commands: Command[] = [];
    for (const fsys of ['dev', 'proc', 'sys']) commands.push({ argv: [TOOLS.mount, '--rbind', `/${fsys}`, posix.join(targetRoot, fsys)] });
    const esp = filesystems.find((f) => f.type === 'vfat' && f.mount && ['/boot/efi', '/efi', '/boot'].includes(f.mount.path));
    const bios = firmware !== 'uefi';
    const uefi = firmware !== 'bios' && esp !== undefined;
    const when = (w: 'bios' | 'uefi'): { when?: 'bios' | 'uefi' } => (firmware === 'auto' ? { when: w } : {});
    if (bios) for (const t of targets) commands.push({ argv: chroot('grub-install', '--target=i386-pc', t), ...when('bios') });
    if (uefi) {
      const efiDir = esp!.mount!.path;
      commands.push({ argv: chroot('grub-install', '--target=x86_64-efi', `--efi-directory=${efiDir}`, '--bootloader-id=anvil', '--no-nvram'), ...when('uefi') });
      commands.push({ argv: chroot('grub-install', '--target=x86_64-efi', `--efi-directory=${efiDir}`, '--removable', '--no-nvram'), ...when('uefi') });
    }
    commands.push({ argv: chroot('grub-mkconfig', '-o', '/boot/grub/grub.cfg') });
    const params = bl.kernel_params ?? [];
    push({
      kind: 'install_bootloader', id: 'bootloader', pointer: '/bootloader', firmware, targets,
      summary: `GRUB (${firmware}) on ${targets.join(', ')}`,
      internal: `${params.length ? `append "${params.join(' ')}" to GRUB_CMDLINE_LINUX in /etc/default/grub; ` : ''}write mdadm.conf and update the initramfs when the image has the tools; register with efibootmgr when efivars exist`,
      commands,
    });
  }

  // 9. Unmount everything under the target root.
  if (mounted.length) push({ kind: 'unmount', id: 'target', pointer: '/filesystems', mountpoint: targetRoot, summary: `unmount ${targetRoot}`, commands: [{ argv: [TOOLS.umount, '--recursive', targetRoot] }] });

  return {
    policy,
    targetRoot,
    disks: plan.disks.map((d) => devOf(d.id)),
    untouchable: v.untouchable,
    actions,
  };
}

export interface CompileResult {
  readonly report: Report;
  readonly compiled?: CompiledPlan;
  readonly validation: ValidationResult;
}

/** Validates, then compiles when valid. Never throws for a bad plan: the report says why. */
export function compilePlan(input: string | unknown, options: ValidateOptions & CompileOptions): CompileResult {
  const validation = validatePlan(input, options);
  if (!validation.report.valid) return { report: validation.report, validation };
  if (!validation.resolved) {
    throw new AnvilError('compile.no_inventory', 'compiling needs an inventory');
  }
  return { report: validation.report, compiled: compileValidated(validation, options), validation };
}
