#!/usr/bin/env bash
# Installs the Debian packages Anvil's tests need (idempotent). Run as root, or it only reports what is missing.
# Partitioning, filesystems, compressors, ISO 9660/vfat tools and qemu-img: the real tools the agent runs
# and the loop-device tests use.
set -euo pipefail

# tool -> Debian package, from scripts/tools.tsv: the tools the agent runs (shared/src/compile/tool-table.ts; the
# deployed image's grub tools too, the test OS is built here) and the tests' own (QEMU, cpio, mmdebstrap, ...). Plain
# text because this runs before `npm install`; `npm run docs` writes it from the table. Tools the agent does
# without (optional: udevadm, efibootmgr, update-initramfs) are not installed for it.
TOOLS_TSV="$(dirname "$0")/tools.tsv"
declare -A PROVIDES=()
while IFS=$'\t' read -r tool pkg; do
  PROVIDES[$tool]=$pkg
done < <(awk -F'\t' '!/^#/ && $5 != "optional" {print $1 "\t" $2}' "$TOOLS_TSV")
[ ${#PROVIDES[@]} -gt 0 ] || { echo "setup-host: no tools read from $TOOLS_TSV" >&2; exit 1; }
# Files rather than commands, so not in the table: kept here.
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
# The lab: QEMU's iPXE option ROMs (the emulated servers' PXE), OVMF's split code/vars for UEFI servers with
# their own NVRAM, pxelinux + ldlinux.c32 for Ironic's `pxe` boot interface.
[ -e /usr/lib/ipxe/qemu/pxe-virtio.rom ] || missing+=(ipxe-qemu)
[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || missing+=(ovmf)
[ -e /usr/lib/PXELINUX/pxelinux.0 ] || missing+=(pxelinux)
[ -e /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || missing+=(syslinux-common)

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
