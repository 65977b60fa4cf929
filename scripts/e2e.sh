#!/usr/bin/env bash
# `npm run e2e`: the whole-machine suites. The images are built (or found cached by their inputs) on the host
# first: they need the Debian mirror. Then the lab's network namespace is made and jest runs inside it, so the
# emulated servers, Ironic, dnsmasq, Keystone, Glance and the driver-service meet only on the lab bridge; the
# other VM suites use QEMU's user network, which works the same inside. The namespace is deleted on exit
# (with anything still running in it).
#   scripts/e2e.sh [jest args…]      e.g. scripts/e2e.sh test/e2e/lab-deploy.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/e2e-prebuild.ts
bash scripts/lab/net.sh up 2
trap 'bash scripts/lab/net.sh down' EXIT
ip netns exec "${ANVIL_LAB_NS:-anvil-lab}" npx jest --selectProjects e2e --runInBand --passWithNoTests --forceExit "$@"
