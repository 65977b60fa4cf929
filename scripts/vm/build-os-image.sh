#!/usr/bin/env bash
# Builds a minimal bootable "operating system" tarball for the VM boot tests: GRUB's tools and modules (so the
# agent can run grub-install and grub-mkconfig inside it, as in a real image; grub-probe asks mdadm for array
# UUIDs, so mdadm is there too, as in any image meant for RAID), Debian's cloud kernel, and an
# initramfs whose /init prints ANVIL-BOOTED-FROM-DISK with the kernel command line, then powers off.
#   OUT=dir scripts/vm/build-os-image.sh      -> $OUT/os.tar.zst   (needs $OUT/vmlinuz from build-ramdisk.sh)
set -euo pipefail
OUT=${OUT:-/var/tmp/anvil-vm}
kver=$(cat "$OUT/kernel-version")
work=$(mktemp -d /var/tmp/anvil-os.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/share,etc/default,boot,dev,proc,sys,run,tmp,var/tmp}
# merged /usr, as Debian has it
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done

copy_bin() {
  local p real
  p=$(type -P "$1") || { echo "build-os-image: $1 is not installed (npm run setup)" >&2; exit 1; }
  real=$(readlink -f "$p")
  mkdir -p "$root$(dirname "$p")"
  cp "$real" "$root$p"
  { ldd "$real" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
}
for b in dash sed grep sort basename dirname uname cat head tail cut tr wc ls mkdir rm cp mv ln readlink find stat sleep touch chmod date mawk printf id env \
  grub-install grub-mkconfig grub-probe grub-mkrelpath grub-mkimage grub-editenv grub-file grub-script-check gettext mdadm; do copy_bin "$b"; done
ln -sf dash "$root/usr/bin/sh"
ln -sf mawk "$root/usr/bin/awk"
cp -a /usr/lib/grub "$root/usr/lib/"
cp -a /usr/share/grub "$root/usr/share/"
cp -a /etc/grub.d "$root/etc/"
rm -f "$root/etc/grub.d/30_os-prober" "$root/etc/grub.d/20_linux_xen" "$root/etc/grub.d/05_debian_theme"
cat > "$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Anvil
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB
echo "anvil-test-os" > "$root/etc/hostname"
echo "# replaced by Anvil" > "$root/etc/fstab"
cp "$OUT/vmlinuz" "$root/boot/vmlinuz-$kver"

# The deployed system's initramfs: prove it booted, show how, power off.
init=$work/initrd
mkdir -p "$init"/{bin,proc,dev}
cp "$(command -v busybox)" "$init/bin/busybox"
cat > "$init/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "ANVIL-BOOTED-FROM-DISK cmdline=$(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
INIT
chmod +x "$init/init"
(cd "$init" && find . | cpio -o -H newc --quiet | gzip -1) > "$root/boot/initrd.img-$kver"
tar --zstd -C "$root" --numeric-owner -cf "$OUT/os.tar.zst" .
echo "build-os-image: $OUT/os.tar.zst ($(du -m "$OUT/os.tar.zst" | cut -f1) MiB)"
