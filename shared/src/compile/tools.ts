/** Every external program Anvil runs, in one table (the agent may override paths). */
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
  chroot: 'chroot',
} as const;

export function mkfsTool(fsType: string): string {
  return fsType === 'swap' ? TOOLS.mkswap : `mkfs.${fsType}`;
}
