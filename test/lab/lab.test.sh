#!/usr/bin/env bash
# End-to-end test of scripts/lab (run as root; about 1 min with a cached base,
# about 2 min cold). It first runs `down.sh --purge` (with --cold:
# `down.sh --purge-base`), so it destroys the lab in LAB_DIR: point LAB_DIR
# elsewhere to keep yours. Ends with "N passed, M failed"; non-zero on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABS=$ROOT/scripts/lab
# shellcheck source=../../scripts/lab/lib.sh
. "$LABS/lib.sh" # the same defaults as the scripts: LAB_DIR, LAB_HOSTS, ...
LOG=$(mktemp /tmp/lab-test.XXXXXX)

purge=--purge
[[ ${1:-} == --cold ]] && purge=--purge-base
read -r -a HOSTS <<<"$LAB_HOSTS"
H1=${HOSTS[0]} H2=${HOSTS[1]:-${HOSTS[0]}} HL=${HOSTS[-1]}

finished=0
# shellcheck source=harness.sh
. "$ROOT/test/lab/harness.sh"
on() { "$LABS/ssh.sh" "$@" </dev/null 2>>"$LOG"; }
run() { # NAME SCRIPT ARGS...: runs a lab script, output to the log, sets $took
  local t0 rc=0
  t0=$(now)
  echo "== $*" >>"$LOG"
  "$LABS/$2" "${@:3}" >>"$LOG" 2>&1 || rc=$?
  took=$(since "$t0")
  if ((rc == 0)); then ok "$1 (${took}s)"; else bad "$1 (exit $rc, ${took}s; log $LOG)"; fi
  return "$rc"
}

finish() {
  local rc=$?
  ((finished)) || bad "test aborted (exit $rc; log $LOG)"
  if ((!finished)) && [[ ${LAB_KEEP:-0} != 1 ]]; then "$LABS/down.sh" >>"$LOG" 2>&1 || true; fi
  echo "$pass passed, $fail failed"
  if ((fail)); then exit 1; fi
  exit 0
}
trap finish EXIT

[[ $(id -u) -eq 0 ]] || { bad "must run as root"; exit 1; }
info "LAB_DIR=$LAB_DIR hosts: ${HOSTS[*]}; log: $LOG"
"$LABS/down.sh" "$purge" >>"$LOG" 2>&1

# --- first start --------------------------------------------------------------
run "up.sh from $purge state" up.sh || exit 1
mids=() keys=()
for h in "${HOSTS[@]}"; do
  addr=$(host_addr "$h")
  check "$h answers ssh at $addr" on "$h" true
  name=$(on "$h" hostname || true)
  verdict "$h reports hostname '$name'" test "$name" == "$h"
  pid1=$(on "$h" cat /proc/1/comm || true)
  verdict "$h: PID 1 is '$pid1'" test "$pid1" == systemd
  state=$(on "$h" timeout 60 systemctl is-system-running --wait || true)
  verdict "$h: system is '$state'" grep -qxE 'running|degraded' <<<"$state"
  mids+=("$(on "$h" cat /etc/machine-id || true)")
  keys+=("$(ssh-keyscan -t ed25519 "$addr" 2>/dev/null | awk '{print $3}')")
done
n=${#HOSTS[@]}
distinct() { [[ $(printf '%s\n' "$@" | grep -c .) -eq $n && $(printf '%s\n' "$@" | sort -u | grep -c .) -eq $n ]]; }
check "$n distinct machine-ids" distinct "${mids[@]}"
check "$n distinct ssh host keys" distinct "${keys[@]}"

# --- apt mirror: haproxy + keepalived with only the lab source ---------------
check "$H1: apt-get install haproxy keepalived from the lab mirror only" on "$H1" "
  set -e
  rm -f /etc/apt/sources.list.d/*
  echo '$LAB_APT_LINE' >/etc/apt/sources.list
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy keepalived
  apt-cache policy haproxy | grep -qF '$LAB_MIRROR_URL/apt'"
check "$H1: haproxy service active" on "$H1" systemctl is-active haproxy
check "$H1: keepalived runs" on "$H1" keepalived --version

# --- HTTP mirror ----------------------------------------------------------------
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token" >"$LAB_DIR/mirror/artifacts/lab-test.txt"
got=$(on "$H2" curl -fsS "$LAB_MIRROR_URL/artifacts/lab-test.txt" || true)
verdict "$H2 fetches a file from $LAB_MIRROR_URL/artifacts/" test "$got" == "$token"
rm -f "$LAB_DIR/mirror/artifacts/lab-test.txt"

# --- second up.sh is a no-op ----------------------------------------------------
state_now() { # wrapper PIDs, mirror PID, mounts below LAB_DIR
  for h in "${HOSTS[@]}"; do read_pid "$(host_dir "$h")/pid"; done
  read_pid "$LAB_DIR/mirror.pid"
  grep -F "$LAB_DIR/" /proc/mounts || true
}
before=$(state_now)
run "second up.sh" up.sh || true
verdict "second up.sh is fast (${took}s < 10s)" awk -v t="$took" 'BEGIN { exit !(t < 10) }'
verdict "second up.sh changed no process or mount" test "$(state_now)" == "$before"

# --- reboot inside a host: the wrapper restarts nspawn (exit 133) -------------
wpid=$(read_pid "$(host_dir "$HL")/pid")
boot1=$(on "$HL" cat /proc/sys/kernel/random/boot_id || true)
on "$HL" timeout 10 systemctl reboot || true
t0=$(now)
sleep 1
for ((i = 0; i < 120; i++)); do
  b=$(on "$HL" cat /proc/sys/kernel/random/boot_id || true)
  [[ -n $b && $b != "$boot1" ]] && break
  sleep 0.5
done
verdict "$HL rebooted from inside and answers ssh again ($(since "$t0")s)" test -n "$b" -a "$b" != "$boot1"
same_wrapper() { [[ $(read_pid "$(host_dir "$HL")/pid") == "$wpid" ]] && host_running "$HL"; }
verdict "$HL: same wrapper PID after reboot, still running" same_wrapper

# --- memory (informational) -----------------------------------------------------
for h in "${HOSTS[@]}"; do
  pss=0
  while read -r cg; do
    while read -r p; do
      v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
      pss=$((pss + ${v:-0}))
    done < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
    break # one hierarchy is enough
  done < <(host_cgroups "$h")
  info "$h uses about $((pss / 1024)) MiB PSS"
done

# --- down.sh --------------------------------------------------------------------
pids=$(state_now | grep -E '^[0-9]+$' || true)
leftovers() { # prints anything of the lab that is still there
  local p
  # Zombies do not count: PID 1 of this machine reaps orphans when it likes.
  for p in $pids; do
    [[ -r /proc/$p/stat && $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]] && echo "pid $p"
  done
  pgrep -af -- "$LAB_DIR/hosts/" || true
  grep -F "$LAB_DIR/" /proc/mounts || true
  ip -o link show "$LAB_BRIDGE" 2>/dev/null || true
  while read -r cg; do [[ -d $cg ]] && echo "cgroup $cg"; done < <(for h in "${HOSTS[@]}"; do host_cgroups "$h"; done)
  # A listener, not a connect test: without the bridge that address may be routed away.
  ss -Hltn "sport = :$LAB_MIRROR_PORT" | grep -F "$LAB_GW:" && echo "mirror still listening"
  true
}
run "down.sh" down.sh || true
left=$(leftovers)
verdict "no nspawn process, bridge, mount, cgroup or mirror left${left:+: $left}" test -z "$left"
run "down.sh again (idempotent)" down.sh || true

# --- restart: state survives ----------------------------------------------------
run "up.sh after down.sh (state kept)" up.sh || exit 1
mids2=()
for h in "${HOSTS[@]}"; do mids2+=("$(on "$h" cat /etc/machine-id || true)"); done
verdict "machine-ids survived the restart" test "${mids2[*]}" == "${mids[*]}"
key=$(ssh-keyscan -t ed25519 "$(host_addr "$H1")" 2>/dev/null | awk '{print $3}')
verdict "$H1 kept its ssh host key" test "$key" == "${keys[0]}"
check "$H1 still has haproxy installed and running" on "$H1" "dpkg -s haproxy keepalived >/dev/null
  timeout 60 systemctl is-system-running --wait; systemctl is-active haproxy"
check "status.sh reports all up" "$LABS/status.sh"
pids=$(state_now | grep -E '^[0-9]+$' || true)
run "final down.sh" down.sh || true
left=$(leftovers)
verdict "nothing left after final down.sh${left:+: $left}" test -z "$left"
if "$LABS/status.sh" >>"$LOG" 2>&1; then bad "status.sh exits 0 with the lab down"; else ok "status.sh exits non-zero with the lab down"; fi
finished=1
