#!/usr/bin/env bash
# Builds the bootstrap ramdisk Anvil's VM tests boot under QEMU: Debian's cloud kernel (from its .deb), and an
# initramfs made of this host's node, the agent's tools (scripts/tools.tsv: util-linux, gdisk, parted, mdadm,
# lvm2, thin tools, e2fsprogs, xfsprogs, dosfstools, btrfs-progs, compressors, qemu-img, xorriso, mtools) with
# their library closure, and the kernel modules for virtio, md, dm and the filesystems. No udev: devtmpfs makes the nodes, lvm makes its own.
#   OUT=dir scripts/vm/build-ramdisk.sh      -> $OUT/vmlinuz, $OUT/initrd.img
set -euo pipefail
OUT=${OUT:-/var/tmp/anvil-vm}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /var/tmp/anvil-ramdisk.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"

kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
kpkg=$(kernel_pkg)
[ -n "$kpkg" ] || { apt-get update -qq && kpkg=$(kernel_pkg); }
[ -n "$kpkg" ] || { echo "build-ramdisk: no cloud kernel package found (apt-get update?)" >&2; exit 1; }
kver=${kpkg#linux-image-}
(cd "$work" && apt-get download -qq "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
ls "$work"/"$kpkg"_*.deb >/dev/null
dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/kernel"
root=$work/root
mkdir -p "$root"/{bin,sbin,lib,lib64,usr/lib,etc/lvm,proc,sys,dev,run,tmp,mnt,opt/anvil}
cp "$work/kernel/boot/vmlinuz-$kver" "$OUT/vmlinuz"

# Kernel modules and their dependencies, for modprobe inside the guest.
depmod -b "$work/kernel" "$kver"
mods="virtio_pci virtio_blk virtio_scsi sd_mod qemu_fw_cfg md_mod raid0 raid1 raid10 raid456 linear dm_mod dm_thin_pool dm_snapshot dm_mirror xfs vfat nls_cp437 nls_ascii nls_utf8 isofs loop btrfs efivarfs"
mkdir -p "$root/lib/modules/$kver"
for m in $mods; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1=="insmod" {print $2}'
done | sort -u | while read -r ko; do
  rel=${ko#"$work/kernel"}
  mkdir -p "$root$(dirname "$rel")"
  cp "$ko" "$root$rel"
done
cp "$work/kernel/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

# Programs and their libraries. The agent's, from scripts/tools.tsv (shared/src/compile/tool-table.ts): the tools
# that run on the agent, each as the binary it is (pvcreate is lvm) plus a link by its name; not the optional ones
# (udevadm: there is no udev here) nor those run inside the deployed image (grub-install).
agent_tools=$(awk -F'\t' '!/^#/ && $3 == "agent" && $5 != "optional" {print $1 "\t" ($4 == "-" ? $1 : $4)}' "$here/../tools.tsv")
[ -n "$agent_tools" ] || { echo "build-ramdisk: no tools in $here/../tools.tsv" >&2; exit 1; }
# The guest's own, which no action runs: node for the agent bundle, its init (dash, busybox, kmod), and what the
# e2e tests inspect disks with.
extra=(node dash busybox kmod lvm pdata_tools losetup swapon findmnt debugfs dumpe2fs xfs_db xfs_repair rm cat stat sha256sum getfattr setfattr)
# shellcheck disable=SC2207
bins=($(printf '%s\n' "${extra[@]}" $(cut -f2 <<<"$agent_tools") | sort -u))
for b in "${bins[@]}"; do
  p=$(command -v "$b" || true)
  [ -n "$p" ] || { echo "build-ramdisk: $b is not installed (npm run setup)" >&2; exit 1; }
  real=$(readlink -f "$p")
  cp "$real" "$root/bin/$b"
  { ldd "$real" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
done
# Names the tools are called by: the table's links (sh -> dash, pvcreate -> lvm, mkfs.vfat -> mkfs.fat, ...), then
# the e2e tests' and busybox's.
while IFS=$'\t' read -r name binary; do
  [ "$name" = "$binary" ] || ln -sf "$binary" "$root/bin/$name"
done <<<"$agent_tools"
for n in pvremove vgremove lvremove lvs; do ln -sf lvm "$root/bin/$n"; done
for n in thin_repair thin_dump; do ln -sf pdata_tools "$root/bin/$n"; done
ln -sf kmod "$root/bin/modprobe"; ln -sf kmod "$root/bin/insmod"
for n in poweroff sleep ls ln cp mv head tail cut grep sed awk env date uname hostname ps kill chmod chown basename dirname; do ln -sf busybox "$root/bin/$n"; done
ln -sf ../bin/* "$root/sbin/" 2>/dev/null || true
cat > "$root/etc/lvm/lvm.conf" <<'LVM'
devices { obtain_device_list_from_udev = 0 }
activation { udev_sync = 0 udev_rules = 0 }
LVM
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
cp "$here/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$OUT/initrd.img"
echo "$kver" > "$OUT/kernel-version"
echo "build-ramdisk: $OUT/vmlinuz ($kver), $OUT/initrd.img ($(du -m "$OUT/initrd.img" | cut -f1) MiB)"
