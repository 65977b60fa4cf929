import type { ActionKind } from './actions';

/**
 * The table of external programs Anvil runs: the Debian package each comes from, the action kinds that need
 * it, and where it runs. One table so that the compiler's command names (TOOLS), the host setup
 * (scripts/setup-host.sh), the bootstrap image's packages (agent/src/bootstrap/build/contents.ts) and docs/reference/tools.md cannot
 * disagree: the shell scripts read scripts/tools.tsv, which `npm run docs` writes from this table (they run
 * before `npm install`, so they cannot run TypeScript), and `npm run docs:check` keeps it current.
 */
export interface ToolInfo {
  /** The Debian (bookworm) package that ships it. */
  readonly package: string;
  /** The compiled action kinds whose commands or handlers run it. */
  readonly actions: readonly ActionKind[];
  /**
   * `agent`: on the machine being provisioned (the deploy ramdisk must carry it); `target`: inside the deployed
   * image through chroot (the image brings it; the ramdisk does not need it).
   */
  readonly runs: 'agent' | 'target';
  /** The program this name is a link to, where it is one (pvcreate → lvm), as docs/reference/tools.md notes. */
  readonly binary?: string;
  /** Needs outside the actions (inventory, teardown checks, Ironic's commands). */
  readonly also?: string;
  /** The agent does without it (it checks first and falls back, or skips the step). */
  readonly optional?: true;
}

export const TOOL_TABLE = {
  // Partition tables
  sgdisk: { package: 'gdisk', actions: ['create_table', 'create_partition', 'write_image', 'write_configdrive'], runs: 'agent' },
  parted: { package: 'parted', actions: ['create_table', 'create_partition', 'write_configdrive'], runs: 'agent' },
  sfdisk: { package: 'fdisk', actions: ['create_partition', 'verify_table', 'write_configdrive'], runs: 'agent', also: 'reading partition tables' },
  partprobe: { package: 'parted', actions: ['reread_table', 'verify_table', 'write_configdrive'], runs: 'agent' },
  partx: { package: 'util-linux', actions: ['reread_table', 'verify_table', 'write_configdrive'], runs: 'agent', also: 'when partprobe fails, or without udev' },
  udevadm: { package: 'udev', actions: ['reread_table', 'verify_table', 'write_configdrive', 'teardown'], runs: 'agent', also: 'udevadm settle after a table is re-read and before a busy device is retried; skipped without udev', optional: true },
  // Wiping and teardown
  wipefs: { package: 'util-linux', actions: ['wipe', 'reread_table', 'teardown'], runs: 'agent' },
  dd: { package: 'coreutils', actions: ['wipe', 'write_image'], runs: 'agent' },
  blkdiscard: { package: 'util-linux', actions: ['wipe', 'write_image'], runs: 'agent' },
  swapoff: { package: 'mount', actions: ['teardown'], runs: 'agent' },
  dmsetup: { package: 'dmsetup', actions: ['teardown'], runs: 'agent' },
  // Block devices
  lsblk: { package: 'util-linux', actions: [], runs: 'agent', also: 'the inventory; Ironic log collection' },
  blkid: { package: 'util-linux', actions: ['mkfs', 'write_fstab', 'write_configdrive'], runs: 'agent', also: 'Ironic log collection; standby commands' },
  blockdev: { package: 'util-linux', actions: ['write_image', 'write_configdrive'], runs: 'agent' },
  // MD RAID and LVM
  mdadm: { package: 'mdadm', actions: ['create_array', 'assemble_array', 'install_bootloader', 'teardown'], runs: 'agent' },
  pvcreate: { package: 'lvm2', actions: ['create_pv'], runs: 'agent', binary: 'lvm' },
  pvs: { package: 'lvm2', actions: ['create_pv'], runs: 'agent', binary: 'lvm' },
  vgcreate: { package: 'lvm2', actions: ['create_vg'], runs: 'agent', binary: 'lvm' },
  vgs: { package: 'lvm2', actions: ['create_vg'], runs: 'agent', binary: 'lvm' },
  vgchange: { package: 'lvm2', actions: ['activate_vg'], runs: 'agent', binary: 'lvm' },
  lvcreate: { package: 'lvm2', actions: ['create_lv'], runs: 'agent', binary: 'lvm' },
  thin_check: { package: 'thin-provisioning-tools', actions: ['create_lv', 'activate_vg'], runs: 'agent', binary: 'pdata_tools', also: 'run by lvm for thin pools, not by the agent' },
  // Filesystems
  'mkfs.ext2': { package: 'e2fsprogs', actions: ['mkfs'], runs: 'agent', binary: 'mke2fs' },
  'mkfs.ext3': { package: 'e2fsprogs', actions: ['mkfs'], runs: 'agent', binary: 'mke2fs' },
  'mkfs.ext4': { package: 'e2fsprogs', actions: ['mkfs'], runs: 'agent', binary: 'mke2fs' },
  'mkfs.xfs': { package: 'xfsprogs', actions: ['mkfs'], runs: 'agent' },
  'mkfs.vfat': { package: 'dosfstools', actions: ['mkfs', 'write_configdrive'], runs: 'agent', binary: 'mkfs.fat' },
  'mkfs.btrfs': { package: 'btrfs-progs', actions: ['mkfs'], runs: 'agent' },
  mkswap: { package: 'util-linux', actions: ['mkfs'], runs: 'agent' },
  e2fsck: { package: 'e2fsprogs', actions: ['write_image'], runs: 'agent' },
  resize2fs: { package: 'e2fsprogs', actions: ['write_image'], runs: 'agent' },
  tune2fs: { package: 'e2fsprogs', actions: ['write_image'], runs: 'agent' },
  xfs_admin: { package: 'xfsprogs', actions: ['write_image'], runs: 'agent', also: 'a shell script around xfs_db' },
  xfs_growfs: { package: 'xfsprogs', actions: ['mount'], runs: 'agent' },
  btrfstune: { package: 'btrfs-progs', actions: ['write_image'], runs: 'agent' },
  btrfs: { package: 'btrfs-progs', actions: ['mount'], runs: 'agent' },
  // Mounts and files
  mount: { package: 'mount', actions: ['mount', 'install_bootloader'], runs: 'agent', also: 'standby commands' },
  umount: { package: 'mount', actions: ['unmount', 'teardown', 'install_bootloader'], runs: 'agent' },
  mkdir: { package: 'coreutils', actions: ['mount', 'extract_image', 'write_fstab', 'install_bootloader'], runs: 'agent' },
  tee: { package: 'coreutils', actions: ['write_fstab', 'install_bootloader'], runs: 'agent' },
  cp: { package: 'coreutils', actions: ['install_bootloader'], runs: 'agent', also: 'the mounted ESP copied to every other ESP (one per boot disk)' },
  ln: { package: 'coreutils', actions: ['install_bootloader'], runs: 'agent', also: '/dev/disk/by-uuid links for grub-mkconfig where no udev made them' },
  truncate: { package: 'coreutils', actions: ['write_configdrive'], runs: 'agent' },
  sync: { package: 'coreutils', actions: ['unmount'], runs: 'agent', also: 'standby commands' },
  // Images
  'qemu-img': { package: 'qemu-utils', actions: ['write_image'], runs: 'agent', also: 'qcow2 over http(s) needs the curl block driver (qemu-block-extra)' },
  tar: { package: 'tar', actions: ['extract_image'], runs: 'agent', also: 'Ironic log collection' },
  gzip: { package: 'gzip', actions: [], runs: 'agent', also: 'tar -z in Ironic log collection (images are gunzipped in process)' },
  xz: { package: 'xz-utils', actions: ['write_image', 'extract_image'], runs: 'agent' },
  zstd: { package: 'zstd', actions: ['write_image', 'extract_image'], runs: 'agent' },
  pzstd: { package: 'zstd', actions: ['write_image'], runs: 'agent', also: 'multi-frame zstd images on every core; zstd decodes them where it is missing', optional: true },
  bzip2: { package: 'bzip2', actions: ['write_image', 'extract_image'], runs: 'agent' },
  // Config drives
  xorriso: { package: 'xorriso', actions: ['write_configdrive'], runs: 'agent' },
  mcopy: { package: 'mtools', actions: ['write_configdrive'], runs: 'agent', binary: 'mtools' },
  // The ramdisk itself
  sh: { package: 'dash', actions: [], runs: 'agent', binary: 'dash', also: 'power-off through sysrq when poweroff fails' },
  poweroff: { package: 'busybox-static', actions: [], runs: 'agent', binary: 'busybox', also: 'Ironic power-off command' },
  // Boot loaders: in the deployed image, through chroot
  chroot: { package: 'coreutils', actions: ['install_bootloader'], runs: 'agent' },
  'grub-install': { package: 'grub2-common', actions: ['install_bootloader'], runs: 'target' },
  'grub-mkconfig': { package: 'grub-common', actions: ['install_bootloader'], runs: 'target' },
  'update-initramfs': { package: 'initramfs-tools', actions: ['install_bootloader'], runs: 'target', optional: true, also: 'when the image has it' },
  efibootmgr: { package: 'efibootmgr', actions: ['install_bootloader'], runs: 'target', optional: true, also: 'grub-install calls it for the NVRAM entry; skipped when the image lacks it' },
} as const satisfies Record<string, ToolInfo>;

export type ToolName = keyof typeof TOOL_TABLE;

/**
 * What the tests need beyond the agent's tools: they are in no action, so the agent never runs them.
 * scripts/setup-host.sh installs these too (through scripts/tools.tsv).
 */
export const TEST_TOOLS = {
  losetup: { package: 'mount', for: 'loop devices for the integration tests and benchmarks' },
  setfattr: { package: 'attr', for: 'extended attributes on kept files in the layout integration tests' },
  setfacl: { package: 'acl', for: 'installed by setup-host since before this table; no current test calls it' },
  curl: { package: 'curl', for: 'the image-stream benchmark (against curl | decompressor | dd); `anvil bootstrap build` probes repositories with it' },
  time: { package: 'time', for: 'peak RSS in the image-stream benchmark (/usr/bin/time)' },
  'qemu-system-x86_64': { package: 'qemu-system-x86', for: 'the VM suite (npm run e2e)' },
  cpio: { package: 'cpio', for: '`anvil bootstrap build --format initramfs`: packing the image' },
  'grub-mkconfig': { package: 'grub-common', for: 'the integration tests’ bootloader steps' },
  'grub-install': { package: 'grub2-common', for: 'building the deployed test OS and UEFI boots' },
  gettext: { package: 'gettext-base', for: 'the deployed test OS (grub-mkconfig’s scripts call it)' },
  // `anvil bootstrap build` on the build host (agent/src/bootstrap/build), and the e2e suite that builds one
  mmdebstrap: { package: 'mmdebstrap', for: '`anvil bootstrap build`: the image root from Debian packages' },
  mksquashfs: { package: 'squashfs-tools', for: '`anvil bootstrap build --format live`: root.squashfs' },
  modprobe: { package: 'kmod', for: '`anvil bootstrap build`: checks the image’s kernel modules (modprobe --show-depends)' },
  // the emulated bare-metal lab (scripts/lab, test/e2e/lab-*.test.ts): BMCs, DHCP/TFTP, iPXE and pxelinux
  ipmi_sim: { package: 'openipmi', for: 'the lab’s BMC per emulated server (its chassis_control hook powers QEMU)' },
  ipmitool: { package: 'ipmitool', for: 'Ironic’s ipmitool power and management interfaces in the lab' },
  dnsmasq: { package: 'dnsmasq-base', for: 'the lab’s DHCP and TFTP, fed by Ironic’s dnsmasq DHCP provider' },
} as const satisfies Record<string, { package: string; for: string }>;

/** Command names as the compiler writes them; the agent may override paths. Every one is in TOOL_TABLE. */
export const TOOLS = {
  sgdisk: 'sgdisk',
  parted: 'parted',
  sfdisk: 'sfdisk',
  partprobe: 'partprobe',
  udevadm: 'udevadm',
  wipefs: 'wipefs',
  dd: 'dd',
  blkdiscard: 'blkdiscard',
  mdadm: 'mdadm',
  pvcreate: 'pvcreate',
  vgcreate: 'vgcreate',
  vgchange: 'vgchange',
  lvcreate: 'lvcreate',
  mkswap: 'mkswap',
  mount: 'mount',
  umount: 'umount',
  mkdir: 'mkdir',
  tee: 'tee',
  cp: 'cp',
  chroot: 'chroot',
} as const satisfies { [K in ToolName]?: K };

export function mkfsTool(fsType: string): string {
  return fsType === 'swap' ? TOOLS.mkswap : `mkfs.${fsType}`;
}

/** Whether a program name is in the table. */
export function isTool(name: string): name is ToolName {
  return Object.hasOwn(TOOL_TABLE, name);
}
