import { posix } from 'node:path';
import { filesystemKind } from '../../filesystems';
import { isKept } from '../../model/policy';
import { configdriveBytes } from '../../model/configdrive';
import { espFilesystems, isEspMount } from '../../model/esp';
import type { FilesystemT } from '../../plan/v1/filesystem';
import type { Command } from '../actions';
import type { CompileState } from '../state';
import { TOOLS } from '../tools';
import { depth } from './images';
import { nodeWaitProbes, rereadCommands } from './disks';

export const CONFIG_LABEL = 'config-2';
/** The type GUID of the config drive partition Anvil makes behind a whole-disk image (Linux data). */
const LINUX_DATA_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/** The config drive: placed behind a whole-disk image when the layout has no partition for it, built, written, read back. */
export function compileConfigdrive(s: CompileState): void {
  const cd = s.plan.configdrive;
  if (!cd) return;
  const disk = s.dev(cd.disk);
  const partDev = s.devices.get(`${cd.disk}@configdrive`);
  const wholeDiskImage = (s.plan.images ?? []).some((im) => im.target.disk === cd.disk);
  const format = cd.format ?? 'iso9660';
  const form = typeof cd.source === 'string' ? (/^https?:/i.test(cd.source.trim()) ? 'downloaded from a URL' : 'decoded from gzip+base64') : `built as ${format} from JSON`;
  const commands: Command[] = [];
  if (!partDev) {
    if (wholeDiskImage) commands.push({ argv: [TOOLS.sgdisk, '--move-second-header', disk], when: { table: { device: disk, label: 'gpt' } }, group: 'place' });
    // Where the partition goes is read from the table the image brought; an existing config-2 is reused.
    commands.push(
      { argv: [TOOLS.sgdisk, '--new={number}:{start}:{end}', `--typecode={number}:${LINUX_DATA_GUID}`, `--change-name={number}:${CONFIG_LABEL}`, disk], when: { table: { device: disk, label: 'gpt' } }, fill: ['number', 'start', 'end'], group: 'create' },
      { argv: [TOOLS.parted, '--script', '--align', 'none', disk, 'unit', 's', 'mkpart', 'primary', '{start}', '{end}'], when: { table: { device: disk, label: 'msdos' } }, fill: ['start', 'end'], group: 'create' },
      ...rereadCommands(disk).map((c) => ({ ...c, group: 'create' })),
    );
  }
  if (typeof cd.source !== 'string') {
    if (format === 'iso9660') {
      commands.push({ argv: ['xorriso', '-as', 'mkisofs', '-quiet', '-o', '{image}', '-V', CONFIG_LABEL, '-J', '-r', '-input-charset', 'utf-8', '{tree}'], fill: ['image', 'tree'], group: 'build' });
    } else {
      commands.push(
        { argv: ['truncate', '-s', '{bytes}', '{image}'], fill: ['bytes', 'image'], group: 'build' },
        { argv: ['mkfs.vfat', '-n', CONFIG_LABEL.toUpperCase(), '{image}'], fill: ['image'], group: 'build' },
        { argv: ['mcopy', '-s', '-i', '{image}', '{tree}/openstack', '::'], fill: ['image', 'tree'], group: 'build' },
      );
    }
  }
  const target = partDev ?? '{partition}';
  const fill = partDev ? [] : ['partition'];
  s.push({
    kind: 'write_configdrive', id: 'configdrive', pointer: '/configdrive', disk, ...(partDev ? { device: partDev } : {}),
    configdrive: { source: cd.source, format, bytes: Number(configdriveBytes(cd.size)), ...(s.plan.metadata?.node_uuid ? { nodeUuid: s.plan.metadata.node_uuid } : {}) },
    summary: `config drive (${CONFIG_LABEL}, ${form}) on ${partDev ?? `a new partition at the end of ${disk}`}`,
    probes: [
      ...(partDev ? [] : [{ argv: ['blockdev', '--getsize64', disk] }, { argv: [TOOLS.sfdisk, '--json', disk] }, { argv: ['blkid', '-p', '-o', 'value', '-s', 'LABEL', '{partition}'], fill: ['partition'] }, ...nodeWaitProbes(disk)]),
      { argv: ['blkid', '-p', '-o', 'value', '-s', 'LABEL', target], fill },
      { argv: ['xorriso', '-osirrox', 'on', '-indev', `stdio:${target}`, '-extract', '/openstack/latest/meta_data.json', '{out}'], fill: [...fill, 'out'] },
      { argv: ['mcopy', '-i', target, '::openstack/latest/meta_data.json', '{out}'], fill: [...fill, 'out'] },
    ],
    commands,
    internal: `${partDev ? '' : `after the whole-disk image: reuse a ${CONFIG_LABEL} partition or make one of at most 64 MiB at the end of the disk (GPT or MBR); `}write the image to the partition, zero the rest, read back its label and meta_data.json`,
  });
}

function fstabLine(fs: FilesystemT, uuid: string): string {
  if (fs.type === 'swap') return `UUID=${uuid} none swap sw 0 0`;
  const path = fs.mount!.path;
  const opts = (fs.mount!.options ?? ['defaults']).join(',');
  return `UUID=${uuid} ${path} ${fs.type} ${opts} 0 ${filesystemKind(fs.type).fsckPass(path)}`;
}

/** /etc/fstab by UUID; a kept filesystem's UUID is read from its device on the machine. */
export function compileFstab(s: CompileState): void {
  const filesystems = s.plan.filesystems ?? [];
  const root = filesystems.find((f) => f.mount?.path === '/');
  if (!root) return;
  const entries = filesystems.filter((fs) => fs.fstab !== false && (fs.mount !== undefined || fs.type === 'swap')).sort((a, b) => depth(a.mount?.path) - depth(b.mount?.path));
  const kept = entries.filter((fs) => !s.uuids.has(fs.id)).map((fs) => ({ id: fs.id, device: s.dev(fs.device) }));
  const lines = entries.map((fs) => fstabLine(fs, s.uuids.get(fs.id) ?? `{uuid:${fs.id}}`));
  const content = `# written by Anvil\n${lines.join('\n')}\n`;
  const path = posix.join(s.targetRoot, 'etc/fstab');
  s.push({
    kind: 'write_fstab', id: root.id, pointer: '/filesystems', path, content, kept,
    summary: `fstab with ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'}, by UUID`,
    probes: kept.map((k) => ({ argv: ['blkid', '-p', '-o', 'value', '-s', 'UUID', k.device] })),
    commands: [{ argv: [TOOLS.mkdir, '-p', posix.dirname(path)] }, { argv: [TOOLS.tee, path], stdin: content, ...(kept.length ? { fill: kept.map((k) => `uuid:${k.id}`) } : {}) }],
    ...(kept.length ? { internal: '{uuid:<id>} stands for the UUID of a kept filesystem, read with blkid on the machine' } : {}),
  });
}

/**
 * GRUB inside the deployed tree: kernel parameters as a grub.d drop-in, /dev/disk/by-uuid links for grub-mkconfig
 * when no udev made them, mdadm.conf and the initramfs when the image has the tools, grub-install per firmware
 * (BIOS on every target, UEFI into the ESP where it is mounted, removable path too), an NVRAM entry when the
 * firmware takes one, and the mounted ESP copied to every other ESP (one per boot disk: each disk boots alone,
 * through the removable path, with the same GRUB that finds /boot by its UUID).
 */
export function compileBootloader(s: CompileState): void {
  const bl = s.plan.bootloader;
  const filesystems = s.plan.filesystems ?? [];
  if (!bl || !filesystems.some((f) => f.mount?.path === '/')) return;
  const root = s.targetRoot;
  const inTarget = (p: string): string => posix.join(root, p);
  const firmware = bl.firmware ?? 'auto';
  const targets = bl.targets.map((t) => s.dev(t));
  const chroot = (...argv: string[]): string[] => [TOOLS.chroot, root, ...argv];
  const fw = (w: 'bios' | 'uefi'): { firmware?: 'bios' | 'uefi' } => (firmware === 'auto' ? { firmware: w } : {});
  const commands: Command[] = [];
  // rslave: under systemd the ramdisk's mounts are shared, so without it unmounting the target's copies would
  // propagate back to the ramdisk's own /sys/fs/cgroup and /dev/pts, and fail as busy (seen with the bootstrap image)
  for (const fsys of ['dev', 'proc', 'sys']) commands.push({ argv: [TOOLS.mount, '--rbind', `/${fsys}`, inTarget(fsys)], when: { unmounted: inTarget(fsys) } }, { argv: [TOOLS.mount, '--make-rslave', inTarget(fsys)] });
  const params = bl.kernel_params ?? [];
  if (params.length) {
    // A drop-in, sourced by grub-mkconfig after /etc/default/grub: the image's own defaults stay untouched.
    const dropIn = inTarget('etc/default/grub.d/anvil.cfg');
    commands.push({ argv: [TOOLS.mkdir, '-p', posix.dirname(dropIn)] }, { argv: [TOOLS.tee, dropIn], stdin: `# written by Anvil\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ${params.join(' ')}"\n` });
  }
  // grub-mkconfig writes root=UUID=… only when /dev/disk/by-uuid/<uuid> exists; a ramdisk without udev has none.
  const linked = filesystems.filter((f) => s.uuids.has(f.id) && !isKept(s.model, f.id) && f.type !== 'swap');
  if (linked.length) commands.push({ argv: [TOOLS.mkdir, '-p', '/dev/disk/by-uuid'] });
  for (const f of linked) {
    const link = `/dev/disk/by-uuid/${s.uuids.get(f.id)!}`;
    commands.push({ argv: ['ln', '-s', s.dev(f.device), link], when: { missing: [link] } });
  }
  if ((s.plan.raids ?? []).length) {
    const conf = inTarget('etc/mdadm/mdadm.conf');
    const hasMdadm = { exists: [inTarget('etc/mdadm')] };
    commands.push({ argv: [TOOLS.tee, conf], stdin: '# written by Anvil\nHOMEHOST <ignore>\n', when: hasMdadm }, { argv: [TOOLS.mdadm, '--detail', '--scan'], appendTo: conf, when: hasMdadm });
  }
  const esp = filesystems.find((f) => f.type === 'vfat' && isEspMount(f.mount?.path));
  const espDirectory = esp?.mount?.path;
  const espCopies = espFilesystems(s.model).filter((e) => e.id !== esp?.id && !isEspMount(e.mounted));
  if (firmware !== 'uefi') for (const t of targets) commands.push({ argv: chroot('grub-install', '--target=i386-pc', t), when: fw('bios') });
  if (firmware !== 'bios' && espDirectory !== undefined) {
    commands.push({ argv: chroot('grub-install', '--target=x86_64-efi', `--efi-directory=${espDirectory}`, '--bootloader-id=anvil', '--no-nvram'), when: fw('uefi') });
    commands.push({ argv: chroot('grub-install', '--target=x86_64-efi', `--efi-directory=${espDirectory}`, '--removable', '--no-nvram'), when: fw('uefi') });
  }
  commands.push({ argv: chroot('grub-mkconfig', '-o', '/boot/grub/grub.cfg') });
  commands.push({ argv: chroot('update-initramfs', '-u', '-k', 'all'), when: { exists: [inTarget('usr/sbin/update-initramfs')] } });
  if (firmware !== 'bios' && espDirectory !== undefined) {
    // The NVRAM entry, where the firmware has variables and the image has efibootmgr.
    commands.push({ argv: chroot('grub-install', '--target=x86_64-efi', `--efi-directory=${espDirectory}`, '--bootloader-id=anvil'), when: { firmware: 'uefi', exists: ['/sys/firmware/efi/efivars', inTarget('usr/bin/efibootmgr')] } });
    for (const copy of espCopies) {
      // Mounted beside the target tree, not in it: the deployed system does not mount its copies.
      const at = posix.join(`${root}-esp`, copy.id);
      commands.push(
        { argv: [TOOLS.mkdir, '-p', at], when: fw('uefi') },
        { argv: [TOOLS.mount, '-t', 'vfat', s.dev(copy.device), at], when: fw('uefi') },
        { argv: [TOOLS.cp, '-R', '--preserve=timestamps', '-T', inTarget(espDirectory), at], when: fw('uefi') },
        { argv: [TOOLS.umount, at], when: fw('uefi') },
      );
    }
  }
  s.push({
    kind: 'install_bootloader', id: 'bootloader', pointer: '/bootloader', firmware, targets, kernelParams: params, ...(espDirectory !== undefined ? { espDirectory } : {}),
    summary: `GRUB (${firmware}) on ${targets.join(', ')}${espDirectory !== undefined ? `, ESP at ${espDirectory}${espCopies.length ? `, copied to ${espCopies.map((c) => c.id).join(', ')}` : ''}` : ''}`,
    commands,
  });
}

/** Everything under the target root unmounted, after a sync. */
export function compileUnmount(s: CompileState): void {
  if (!s.mounted.length) return;
  s.push({ kind: 'unmount', id: 'target', pointer: '/filesystems', mountpoint: s.targetRoot, summary: `unmount ${s.targetRoot}`, commands: [{ argv: ['sync'] }, { argv: [TOOLS.umount, '--recursive', s.targetRoot] }] });
}
