#!/usr/bin/env bash
# Builds a real Debian bookworm operating system for the emulated-bare-metal lab: the tarball Anvil's agent
# extracts onto a server, which then boots with GRUB (BIOS or UEFI), systemd and cloud-init reading the config
# drive the agent writes (config-2). Root on LVM-on-MD works: Debian's mdadm and lvm2 initramfs hooks are in,
# and the agent writes /etc/mdadm/mdadm.conf and runs update-initramfs -u -k all in the chroot after the extract.
#   OUT=dir scripts/lab/build-os-image.sh   -> $OUT/os.tar.zst (the root, numeric owners), $OUT/kernel-version,
#                                              $OUT/os.json (packages with versions and sizes, build seconds)
# Needs root, mmdebstrap and zstd (scripts/setup-host.sh) and the Debian mirror (MIRROR, SECURITY_MIRROR).
set -euo pipefail
OUT=${OUT:-/var/tmp/anvil-os}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
[ "$(id -u)" -eq 0 ] || { echo "build-os-image: run as root (mmdebstrap --mode=root)" >&2; exit 1; }
for t in mmdebstrap zstd tar; do command -v "$t" >/dev/null || { echo "build-os-image: $t is not installed (scripts/setup-host.sh)" >&2; exit 1; }; done

t0=$(date +%s)
mkdir -p "$OUT"
work=$(mktemp -d /var/tmp/anvil-os-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

# The kernel and the boot chain; systemd; cloud-init with the ENI renderer Debian 12 uses (ifupdown, dhclient);
# the storage tools the initramfs needs for root on LVM-on-MD; GRUB's tools and both platforms' modules, so the
# agent's grub-install works for i386-pc and x86_64-efi; zstd for the initramfs compression; busybox for the
# initramfs's shell tools (initramfs-tools recommends it: without it, klibc has no rm for mdadm's local-bottom script).
packages=(
  linux-image-cloud-amd64 systemd-sysv udev initramfs-tools zstd kmod busybox
  cloud-init ifupdown isc-dhcp-client iproute2 netbase openssh-server sudo
  grub-pc-bin grub-efi-amd64-bin grub2-common mdadm lvm2 e2fsprogs dosfstools
)
excludes=('/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*' '/usr/share/lintian/*' '/usr/share/linda/*' '/usr/share/groff/*' '/usr/share/bug/*')
includes=('/usr/share/doc/*/copyright' '/usr/share/locale/locale.alias')

args=(--mode=root --variant=minbase --format=directory --include="$(IFS=,; echo "${packages[*]}")"
  '--aptopt=APT::Install-Recommends "false";' '--aptopt=Acquire::Retries "3";')
for p in "${excludes[@]}"; do args+=("--dpkgopt=path-exclude=$p"); done
for p in "${includes[@]}"; do args+=("--dpkgopt=path-include=$p"); done

# Before any package: the initramfs configuration (zstd at level 1, not mkinitramfs's single-threaded 9: a fast
# update-initramfs under TCG; MODULES=most for the image's own initramfs, dep for the one rebuilt at deploy, see
# the end of customize.sh) and cloud-init's datasources (only the config drive: no waiting on network metadata
# services).
args+=("--setup-hook=mkdir -p \"\$1/etc/initramfs-tools/conf.d\" \"\$1/etc/cloud/cloud.cfg.d\"")
args+=("--setup-hook=printf '%s\\n' '# Anvil lab OS: quick to rebuild under emulation' COMPRESS=zstd COMPRESSLEVEL=1 MODULES=most > \"\$1/etc/initramfs-tools/conf.d/anvil.conf\"")
args+=("--setup-hook=printf '%s\\n' '# Anvil lab OS: the config drive only (label config-2)' 'datasource_list: [ ConfigDrive, None ]' > \"\$1/etc/cloud/cloud.cfg.d/90-anvil-datasource.cfg\"")
# No RSA host key: generating one takes cloud-init 14 s under TCG; ed25519 and ECDSA take well under one. The
# locale glibc has built in: Debian's default (en_US.UTF-8) needs the locales package, and cc_locale fails without.
args+=("--setup-hook=printf '%s\\n' '# Anvil lab OS' 'ssh_genkeytypes: [ ed25519, ecdsa ]' 'locale: C.UTF-8' > \"\$1/etc/cloud/cloud.cfg.d/90-anvil-lab.cfg\"")

# After all packages, on the host with the image's root as $1: GRUB's defaults (serial console, no menu wait, no
# os-prober), a per-machine identity left to first boot (empty machine-id, no SSH host keys: cloud-init makes
# them), placeholders for what the agent and cloud-init write (fstab, hostname), no apt lists.
cat > "$work/customize.sh" <<'CUSTOMIZE'
set -eu
root=$1
mkdir -p "$root/etc/default"
cat > "$root/etc/default/grub" <<'GRUB'
# Anvil lab OS; the agent adds its kernel parameters in /etc/default/grub.d/anvil.cfg
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_TIMEOUT_STYLE=menu
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB_DISABLE_RECOVERY=true
GRUB
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
: > "$root/etc/hostname"
printf '%s\n' '# written by Anvil at deploy time' > "$root/etc/fstab"
# dhclient gives up after 20 s rather than 60 when no DHCP server answers: the boot goes on without a lease
sed -i 's/^#\?timeout .*/timeout 20;/' "$root/etc/dhcp/dhclient.conf"
grep -q '^timeout 20;' "$root/etc/dhcp/dhclient.conf" || echo 'timeout 20;' >> "$root/etc/dhcp/dhclient.conf"
# nothing periodic competing with the test under emulation
chroot "$root" systemctl disable apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log "$root"/var/log/apt/*
for f in usr/sbin/update-initramfs usr/share/initramfs-tools/hooks/mdadm usr/share/initramfs-tools/hooks/lvm2 usr/share/initramfs-tools/scripts/local-block/mdadm usr/sbin/grub-install usr/lib/grub/i386-pc usr/lib/grub/x86_64-efi; do
  [ -e "$root/$f" ] || { echo "build-os-image: /$f is missing from the image" >&2; exit 1; }
done
# the initramfs can assemble the arrays and activate the volume group of a root on LVM-on-MD
listing=$(chroot "$root" sh -c 'lsinitramfs /boot/initrd.img-*')
for f in usr/sbin/mdadm usr/sbin/lvm usr/bin/busybox scripts/local-block/mdadm rules.d/56-lvm.rules rules.d/64-md-raid-assembly.rules raid1.ko dm-mod.ko; do
  echo "$listing" | grep -q "$f" || { echo "build-os-image: the initramfs has no $f" >&2; exit 1; }
done
# The image ships that generic initramfs (MODULES=most: it boots on any machine); the one the agent rebuilds at
# deploy time is for the machine it runs on. The agent runs update-initramfs in a chroot on that very machine,
# with the target's filesystems mounted and /sys bound in, so MODULES=dep finds the root's stack (virtio, MD,
# device-mapper, ext4) from the hardware it will boot on. With `most` that rebuild took 206-257 s of every
# deploy under TCG, nearly all of the agent's own time.
sed -i 's/^MODULES=most$/MODULES=dep/' "$root/etc/initramfs-tools/conf.d/anvil.conf"
grep -qx 'MODULES=dep' "$root/etc/initramfs-tools/conf.d/anvil.conf" || { echo "build-os-image: MODULES=dep not set" >&2; exit 1; }
CUSTOMIZE
args+=("--customize-hook=sh $work/customize.sh \"\$1\"")

mmdebstrap "${args[@]}" "$SUITE" "$root" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"

kver=$(ls "$root/lib/modules")
[ "$(echo "$kver" | wc -l)" -eq 1 ] || { echo "build-os-image: expected one kernel, found: $kver" >&2; exit 1; }
[ -e "$root/boot/vmlinuz-$kver" ] && [ -e "$root/boot/initrd.img-$kver" ] || { echo "build-os-image: no kernel or initramfs for $kver in /boot" >&2; exit 1; }

tmp_tar=$OUT/os.tar.zst.tmp
tar -C "$root" --numeric-owner --xattrs --xattrs-include='security.capability' -cf - . | zstd -q -T0 -10 -o "$tmp_tar" -f
mv -f "$tmp_tar" "$OUT/os.tar.zst"
echo "$kver" > "$OUT/kernel-version"

seconds=$(( $(date +%s) - t0 ))
root_kib=$(du -sk --apparent-size "$root" | cut -f1)
tar_bytes=$(stat -c %s "$OUT/os.tar.zst")
{
  printf '{\n  "suite": "%s",\n  "kernelVersion": "%s",\n  "buildSeconds": %d,\n  "tarBytes": %d,\n  "rootKiB": %d,\n  "packages": [\n' "$SUITE" "$kver" "$seconds" "$tar_bytes" "$root_kib"
  dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Package}\t${Version}\t${Installed-Size}\n' | sort |
    awk -F'\t' '{ printf "%s    { \"name\": \"%s\", \"version\": \"%s\", \"installedKiB\": %d }", (NR > 1 ? ",\n" : ""), $1, $2, $3 } END { print "" }'
  printf '  ]\n}\n'
} > "$OUT/os.json.tmp"
mv -f "$OUT/os.json.tmp" "$OUT/os.json"
echo "build-os-image: $OUT/os.tar.zst ($(( tar_bytes / 1048576 )) MiB; root $(( root_kib / 1024 )) MiB; kernel $kver; $seconds s)"
