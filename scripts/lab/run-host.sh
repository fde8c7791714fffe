#!/usr/bin/env bash
# Wrapper that runs one lab host; started detached by up.sh, one per host.
# - moves itself into its own cgroup: without a host systemd, --keep-unit
#   would leave every container in the caller's cgroup;
# - restarts nspawn when it exits 133 (a reboot inside the container);
# - forwards SIGTERM to nspawn, which powers the container off cleanly.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=${1:?usage: run-host.sh NAME}
dir=$(host_dir "$name")
echo $$ >"$dir/pid"

while read -r cg; do
  mkdir -p "$cg"
  echo $$ >"$cg/cgroup.procs"
done < <(host_cgroups "$name")

stop=0 child=
on_term() {
  stop=1
  if [[ -n $child ]]; then kill -TERM "$child" 2>/dev/null || true; fi
}
trap on_term TERM INT HUP

while :; do
  if [[ $stop -eq 1 ]]; then exit 0; fi
  echo "[run-host] $(date -Is) starting $name"
  systemd-nspawn -D "$dir/root" --machine="$name" --hostname="$name" --boot \
    --register=no --keep-unit --network-bridge="$LAB_BRIDGE" \
    --resolv-conf=off --timezone=off --link-journal=no --console=read-only &
  child=$!
  echo "$child" >"$dir/nspawn.pid"
  # wait returns early when a trapped signal arrives: keep waiting until
  # nspawn itself is gone, then take its real exit status.
  while :; do
    wait "$child" && rc=0 || rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  echo "[run-host] $(date -Is) nspawn exited with $rc"
  if [[ $rc -eq 133 && $stop -eq 0 ]]; then continue; fi
  exit "$rc"
done
