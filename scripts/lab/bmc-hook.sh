#!/usr/bin/env bash
# The chassis_control program of an emulated server's BMC (OpenIPMI ipmi_sim runs it synchronously for every
# chassis request). LAB_SERVER_DIR is the server's directory, written by the lab (test/helpers/lab/server.ts):
#   boot-pxe.args, boot-disk.args   QEMU's arguments, one per line, for a power-on with that boot device
#   bootdev                         the boot device last set over IPMI (pxe | default | disk | …)
#   qemu.pid, monitor.sock          the running QEMU
#   bmc.log                         every request, with a timestamp (the lab's timings read it)
# ipmi_sim calls:  get power | get boot   →  prints power:0|1, boot:<dev>
#                  set power 0|1 | set reset 1 | set shutdown 1 | set boot <dev> | set identify …
# Written for this project; ipmi_sim's chassis_control interface is described in its lan.conf(5).
set -uo pipefail
D=${LAB_SERVER_DIR:?LAB_SERVER_DIR is not set}
log() { printf '%s %s\n' "$(date +%s.%3N)" "$*" >> "$D/bmc.log"; }
running() { [ -s "$D/qemu.pid" ] && kill -0 "$(cat "$D/qemu.pid")" 2>/dev/null; }
bootdev() { cat "$D/bootdev" 2>/dev/null || echo default; }

power_on() {
  local dev args=boot-disk.args
  dev=$(bootdev)
  [ "$dev" = pxe ] && args=boot-pxe.args
  rm -f "$D/qemu.pid"
  log "power on boot=$dev"
  local argv=()
  mapfile -t argv < "$D/$args"
  # -daemonize: QEMU returns once the machine is created and has written its pidfile. 9>&-: it must not keep
  # the hook's lock, or every later request (and ipmi_sim, which waits for the hook) would block while it runs.
  if ! qemu-system-x86_64 "${argv[@]}" -pidfile "$D/qemu.pid" -monitor "unix:$D/monitor.sock,server,nowait" -daemonize \
    >> "$D/qemu.log" 2>&1 < /dev/null 9>&-; then
    log "power on failed: $(tail -n 3 "$D/qemu.log" | tr '\n' ' ')"
    return 1
  fi
  log "qemu pid $(cat "$D/qemu.pid")"
}

power_off() {
  running || return 0
  local pid
  pid=$(cat "$D/qemu.pid")
  log "power off pid $pid"
  kill "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  return 0
}

# ACPI power button: the guest shuts itself down (what `power soft off` asks of a real server)
soft_off() {
  running || return 0
  log "soft off"
  /usr/bin/python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1]); s.recv(4096)
s.sendall(b"system_powerdown\n"); time.sleep(0.2); s.close()' "$D/monitor.sock" || log "soft off: monitor unreachable"
}

# ipmitool retransmits a request it has no answer to within a second, so one power-on may arrive twice:
# requests are serialised, and a power-on of a running server does nothing.
exec 9> "$D/hook.lock"
flock -w 20 9 || { log "lock timeout: $*"; exit 1; }
# some ipmi_sim builds pass the MC's address first
case ${1:-} in 0x*) shift ;; esac
op=${1:-}
shift || true
case $op in
  get)
    for p in "$@"; do
      case $p in
        power) if running; then echo "power:1"; else echo "power:0"; fi ;;
        boot) echo "boot:$(bootdev)" ;;
        *) echo "Invalid parameter: $p"; exit 1 ;;
      esac
    done
    ;;
  set)
    while [ $# -gt 0 ]; do
      p=$1 v=${2:-}
      shift 2 2> /dev/null || shift $#
      log "set $p $v"
      case $p in
        power) if [ "$v" = 1 ]; then running || power_on || exit 1; else power_off; fi ;;
        # a hard reset: the machine restarts and reads its boot flags again (QEMU runs with -no-reboot)
        reset) if running; then power_off; power_on || exit 1; fi ;;
        shutdown) soft_off ;;
        boot) echo "$v" > "$D/bootdev" ;;
        identify) ;;
        *) echo "Invalid parameter: $p"; exit 1 ;;
      esac
    done
    ;;
  check) exit 0 ;;
  *) echo "Unknown operation: $op"; exit 1 ;;
esac
exit 0
