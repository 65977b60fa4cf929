#!/usr/bin/env bash
# The lab's network: network namespace anvil-lab with a bridge (10.213.7.1/24 and a ULA prefix, so iPXE's
# IPv6 autoconfiguration gets a router advertisement instead of waiting for one) and one tap per emulated
# server, in the bridge. Everything the servers talk to (Ironic, dnsmasq, the driver-service, Keystone, Glance,
# the boot HTTP server) runs inside the namespace, so nothing reaches or leaves the host's own interfaces.
#   scripts/lab/net.sh up [TAPS]   (default 2 taps: lab-tap0, lab-tap1)
#   scripts/lab/net.sh down        (kills what still runs in the namespace, then deletes it)
#   scripts/lab/net.sh exec CMD…   (runs CMD inside the namespace)
set -euo pipefail
NS=${ANVIL_LAB_NS:-anvil-lab}
ADDR=${ANVIL_LAB_ADDR:-10.213.7.1}
in_ns() { ip netns exec "$NS" "$@"; }

case ${1:-} in
  up)
    taps=${2:-2}
    if ip netns list | grep -qw "$NS"; then "$0" down; fi
    ip netns add "$NS"
    in_ns ip link set lo up
    in_ns ip link add lab-br0 type bridge
    in_ns ip addr add "$ADDR/24" dev lab-br0
    in_ns ip addr add fd42:213:7::1/64 dev lab-br0 nodad
    in_ns ip link set lab-br0 up
    for ((i = 0; i < taps; i++)); do
      in_ns ip tuntap add "lab-tap$i" mode tap
      in_ns ip link set "lab-tap$i" master lab-br0 up
    done
    echo "net: $NS up ($ADDR on lab-br0, $taps taps)"
    ;;
  down)
    ip netns list | grep -qw "$NS" || exit 0
    pids=$(ip netns pids "$NS" || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill $pids 2>/dev/null || true
      for _ in $(seq 50); do [ -z "$(ip netns pids "$NS")" ] && break; sleep 0.1; done
      # shellcheck disable=SC2046
      kill -9 $(ip netns pids "$NS") 2>/dev/null || true
    fi
    ip netns del "$NS"
    echo "net: $NS down"
    ;;
  exec)
    shift
    exec ip netns exec "$NS" "$@"
    ;;
  *)
    echo "usage: $0 up [TAPS] | down | exec CMD..." >&2
    exit 2
    ;;
esac
