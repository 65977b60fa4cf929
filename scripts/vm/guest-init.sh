#!/bin/sh
# /init of Anvil's test ramdisk: mount the basics, load modules, unpack the payload QEMU hands in through
# fw_cfg (opt/anvil/payload.tar), run its run.sh, print the exit code on the serial console, power off.
export PATH=/bin:/sbin LC_ALL=C DM_DISABLE_UDEV=1 HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in qemu_fw_cfg virtio_pci virtio_blk md_mod raid0 raid1 raid10 raid456 linear dm_mod dm_thin_pool xfs vfat nls_cp437 nls_ascii isofs loop btrfs; do
  modprobe "$m" 2>/dev/null
done
echo "ANVIL-GUEST-UP $(cut -d' ' -f1 /proc/uptime)"
payload=/sys/firmware/qemu_fw_cfg/by_name/opt/anvil/payload.tar/raw
rc=99
# Large files come on a disk with serial anvil-payload holding a raw tar (fw_cfg is slow for big files).
for s in /sys/block/vd*/serial; do
  [ -e "$s" ] && [ "$(cat "$s")" = "anvil-payload" ] && tar -xf "/dev/$(basename "$(dirname "$s")")" -C /opt/anvil
done
if [ -e "$payload" ]; then
  tar -xf "$payload" -C /opt/anvil && cd /opt/anvil && sh ./run.sh
  rc=$?
else
  echo "ANVIL-GUEST no payload"
fi
echo "ANVIL-GUEST-RC=$rc"
sync
poweroff -f
