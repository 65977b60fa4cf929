#!/usr/bin/env bash
# Installs the Debian packages Anvil's tests need (idempotent). Run as root, or it only reports what is missing.
# Partitioning, filesystems, compressors, ISO 9660/vfat tools and qemu-img: the real tools the agent runs
# and the loop-device tests use.
set -euo pipefail

declare -A PROVIDES=(
  [sgdisk]=gdisk
  [parted]=parted
  [sfdisk]=fdisk
  [wipefs]=util-linux
  [losetup]=mount
  [mkfs.ext4]=e2fsprogs
  [mkfs.xfs]=xfsprogs
  [mkfs.vfat]=dosfstools
  [mkfs.btrfs]=btrfs-progs
  [xorriso]=xorriso
  [mcopy]=mtools
  [bzip2]=bzip2
  [xz]=xz-utils
  [zstd]=zstd
  [gzip]=gzip
  [qemu-img]=qemu-utils
  [setfattr]=attr
  [setfacl]=acl
  [curl]=curl
  [time]=time
  # the VM suite (npm run e2e): QEMU, and what goes into the test ramdisk
  [qemu-system-x86_64]=qemu-system-x86
  [busybox]=busybox-static
  [mdadm]=mdadm
  [lvm]=lvm2
  [pdata_tools]=thin-provisioning-tools
  [depmod]=kmod
  [cpio]=cpio
  [dash]=dash
  # the deployed test OS (scripts/vm/build-os-image.sh) and UEFI boots
  [grub-mkconfig]=grub-common
  [grub-install]=grub2-common
  [gettext]=gettext-base
)
# qemu-img reads qcow2 images over HTTP with the curl block driver, packaged separately.
QEMU_CURL=/usr/lib/x86_64-linux-gnu/qemu/block-curl.so

missing=()
for tool in "${!PROVIDES[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ] && ! [ -x "/sbin/$tool" ]; then
    missing+=("${PROVIDES[$tool]}")
  fi
done

[ -e "$QEMU_CURL" ] || missing+=(qemu-block-extra)
[ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
[ -d /usr/lib/grub/x86_64-efi ] || missing+=(grub-efi-amd64-bin)
[ -e /usr/share/ovmf/OVMF.fd ] || missing+=(ovmf)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-host: all tools present"
else
  # shellcheck disable=SC2207
  packages=($(printf '%s\n' "${missing[@]}" | sort -u))
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-host: missing packages: ${packages[*]} (run as root: apt-get install ${packages[*]})" >&2
    exit 1
  fi
  echo "setup-host: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  echo "setup-host: done"
fi

# Ironic and Keystone from Debian (the Ironic protocol tests start them on 127.0.0.1).
bash "$(dirname "$0")/openstack/install.sh"
