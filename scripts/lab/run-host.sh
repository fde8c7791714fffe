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

# join_cgroup DIR: a cpuset cgroup takes no task before its cpus and mems are set, at every new level.
join_cgroup() {
  local parent
  parent=$(dirname "$1")
  [[ -d $parent ]] || join_cgroup_dir "$parent"
  join_cgroup_dir "$1"
  echo $$ >"$1/cgroup.procs"
}
join_cgroup_dir() {
  local f
  [[ -d $1 ]] || mkdir "$1"
  for f in cpuset.cpus cpuset.mems; do
    if [[ -f $1/$f && -z $(cat "$1/$f") ]]; then cat "$(dirname "$1")/$f" >"$1/$f"; fi
  done
}
while read -r cg; do join_cgroup "$cg"; done < <(host_cgroups "$name")

# A node host runs containerd and a kubelet (docs/lab.md): containerd's state on this machine's file system, since an
# overlay upper directory cannot hold its snapshots; the session keyring and every capability for runc; the kernel log.
node_flags=()
if is_node "$name"; then
  mkdir -p "$dir/containerd"
  node_flags=(--bind="$dir/containerd:/var/lib/containerd" --system-call-filter=@keyring --capability=all --bind=/dev/kmsg)
fi

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
    --resolv-conf=off --timezone=off --link-journal=no --console=read-only "${node_flags[@]}" &
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
