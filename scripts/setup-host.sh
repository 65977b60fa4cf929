#!/usr/bin/env bash
# Installs the Debian packages Anvil's tests need (idempotent). Run as root, or it only reports what is missing.
#   gdisk  -> sgdisk       (GPT)
#   parted -> parted       (MBR/msdos)
#   fdisk  -> sfdisk       (MBR type bytes, reading tables back as JSON)
set -euo pipefail

declare -A PROVIDES=(
  [sgdisk]=gdisk
  [parted]=parted
  [sfdisk]=fdisk
  [wipefs]=util-linux
)

missing=()
for tool in "${!PROVIDES[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ] && ! [ -x "/sbin/$tool" ]; then
    missing+=("${PROVIDES[$tool]}")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-host: all tools present"
  exit 0
fi

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
