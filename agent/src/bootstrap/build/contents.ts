import { TOOL_TABLE } from '@anvil/shared';
import type { BuildOptionsT } from './options';

/**
 * What goes into a bootstrap image, stated once: the Debian packages, the kernel modules that must be there,
 * and what the trim removes.
 */

/** The packages of every tool the agent runs on the machine (shared/src/compile/tool-table.ts, `runs: 'agent'`). */
export function agentToolPackages(): string[] {
  return [...new Set(Object.values(TOOL_TABLE).filter((t) => t.runs === 'agent').map((t) => t.package))].sort();
}

/** The system around the agent: systemd as init, udev, networkd for DHCP, modules, CA store, node's C++ runtime. */
export const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'udev', 'kmod', 'iproute2', 'ca-certificates', 'libstdc++6', 'procps', 'less'] as const;

/** Added for the `live` format: live-boot's initramfs fetches root.squashfs (fetch=) and mounts it under an overlay. */
export const LIVE_PACKAGES = ['live-boot', 'live-boot-initramfs-tools', 'initramfs-tools', 'wget'] as const;

export function kernelPackage(flavor: BuildOptionsT['kernelFlavor']): string {
  return `linux-image-${flavor}`;
}

/** Every package the build installs, in a stable order: base, tools, kernel, format's, the operator's. */
export function imagePackages(o: Pick<BuildOptionsT, 'kernelFlavor' | 'format' | 'packages' | 'sshKeys'>): string[] {
  const all = [...BASE_PACKAGES, ...agentToolPackages(), kernelPackage(o.kernelFlavor), ...(o.format === 'live' ? LIVE_PACKAGES : []), ...(o.sshKeys ? ['openssh-server'] : []), ...o.packages];
  return [...new Set(all)];
}

/**
 * Kernel modules a bootstrap must carry, by what they drive. Missing `required` ones fail the build;
 * `hardware` ones fail it with the generic kernel and are reported (not fatal) with the cloud kernel, which
 * does not ship them.
 */
export const REQUIRED_MODULES = {
  // what the agent's actions need whatever the hardware
  required: ['virtio_pci', 'virtio_blk', 'virtio_scsi', 'virtio_net', 'sd_mod', 'nvme', 'md_mod', 'raid0', 'raid1', 'raid10', 'raid456', 'dm_mod', 'dm_thin_pool', 'dm_snapshot', 'ext4', 'xfs', 'btrfs', 'vfat', 'isofs', 'loop', 'squashfs', 'overlay'],
  // physical servers: SATA/SAS/RAID controllers and the common server NICs
  hardware: ['ahci', 'megaraid_sas', 'mpt3sas', 'e1000e', 'igb', 'ixgbe', 'i40e', 'ice', 'mlx5_core', 'bnxt_en', 'tg3', 'e1000'],
} as const;

/**
 * The trim: module trees (under /lib/modules/<version>/kernel) no deploy ramdisk uses: sound, graphics
 * acceleration, cameras/TV, wireless and Bluetooth, staging, industrial I/O, CAN, NFC, InfiniBand verbs (RDMA:
 * mlx5_core's Ethernet needs none of it). Everything else (storage, NICs, filesystems, USB, HID, platform)
 * stays. Fuel's warning applies: a module removed here is a driver a managed server may need.
 */
export const TRIMMED_MODULE_TREES = [
  'sound',
  'drivers/gpu',
  'drivers/media',
  'drivers/net/wireless',
  'net/wireless',
  'net/mac80211',
  'drivers/bluetooth',
  'net/bluetooth',
  'drivers/staging',
  'drivers/iio',
  'drivers/net/can',
  'net/can',
  'drivers/nfc',
  'net/nfc',
  'drivers/infiniband',
  'drivers/isdn',
  'drivers/input/touchscreen',
  'drivers/input/joystick',
  'drivers/hwmon/pmbus',
] as const;

/** Not unpacked at all (dpkg path-exclude): documentation but the copyright files, manuals, translations. */
export const DPKG_EXCLUDES = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*'] as const;
export const DPKG_INCLUDES = ['/usr/share/doc/*/copyright', '/usr/share/locale/locale.alias'] as const;

/** Removed after the packages and the --script: what apt and dpkg leave behind (lists, caches, logs). */
export const TRIMMED_PATHS = ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian', 'var/lib/apt/lists', 'var/cache/apt', 'var/cache/debconf/templates.dat-old', 'var/log/apt', 'var/log/dpkg.log', 'var/log/alternatives.log', 'var/log/bootstrap.log'] as const;
