#!/usr/bin/env bash
# Stop the lab: clean poweroff of every host, then unmount overlays, stop the
# mirror and remove the bridge. Acts only on what up.sh recorded. Idempotent.
#   --purge       also delete host overlays (host state, keys, machine-ids)
#   --purge-base  also delete the cached base rootfs and apt mirror (implies --purge)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0 purge_base=0
for a in "$@"; do
  case $a in
    --purge) purge=1 ;;
    --purge-base) purge=1 purge_base=1 ;;
    -h | --help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument: $a" ;;
  esac
done
need_root
[[ -d $LAB_DIR ]] || { log "nothing to do: $LAB_DIR does not exist"; exit 0; }
lab_lock

# PIDs in a host's cgroups (ours by construction: up.sh created them).
cgroup_pids() {
  local cg
  while read -r cg; do
    [[ -d $cg ]] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(host_cgroups "$1") | sort -un
}

mapfile -t hosts < <(all_hosts)

# 1. SIGTERM to each wrapper: it forwards to nspawn, which powers off the host.
for h in "${hosts[@]}"; do
  if host_running "$h"; then
    log "stopping $h"
    kill -TERM "$(read_pid "$(host_dir "$h")/pid")"
  fi
done

# 2. Wait for clean exits.
deadline=$((SECONDS + LAB_STOP_TIMEOUT))
for h in "${hosts[@]}"; do
  while host_running "$h" && ((SECONDS < deadline)); do sleep 0.2; done
done

# 3. Kill leftovers: recorded wrapper/nspawn PIDs and members of the host's cgroup.
for h in "${hosts[@]}"; do
  dir=$(host_dir "$h")
  left=()
  pid=$(read_pid "$dir/pid") && pid_matches "$pid" "run-host.sh $h" && left+=("$pid")
  pid=$(read_pid "$dir/nspawn.pid") && pid_matches "$pid" "$dir/root" && left+=("$pid")
  mapfile -t -O "${#left[@]}" left < <(cgroup_pids "$h")
  if ((${#left[@]})); then
    log "$h: killing leftover PIDs ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do [[ -z $(cgroup_pids "$h") ]] && break; sleep 0.1; done
  fi
  while read -r cg; do
    if [[ -d $cg ]]; then find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    rmdir "$(dirname "$cg")" 2>/dev/null || true # the shared parent, once empty
  done < <(host_cgroups "$h")
  rm -f "$dir/pid" "$dir/nspawn.pid"
done

# 4. Unmount every overlay up.sh mounted (hosts, and a mirror build cut short).
awk -v d="$LAB_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
  while read -r m; do
    umount "$m" 2>/dev/null || { sleep 1; umount "$m"; } || die "cannot unmount $m"
  done

# 5. Mirror server and bridge.
if mirror_running; then
  log "stopping mirror"
  pid=$(read_pid "$LAB_DIR/mirror.pid")
  kill -TERM "$pid"
  for ((i = 0; i < 50; i++)); do pid_matches "$pid" http.server || break; sleep 0.1; done
  pid_matches "$pid" http.server && kill -KILL "$pid"
fi
rm -f "$LAB_DIR/mirror.pid"
if [[ -f $LAB_DIR/bridge ]]; then
  br=$(cat "$LAB_DIR/bridge")
  if ip link show "$br" >/dev/null 2>&1; then log "removing bridge $br"; ip link del "$br"; fi
  rm -f "$LAB_DIR/bridge"
fi

# 6. Purges. Nothing is mounted below LAB_DIR any more (checked above).
if ((purge)); then
  log "purging host overlays"
  rm -rf --one-file-system "$LAB_DIR/hosts"
fi
if ((purge_base)); then
  log "purging cached base and apt mirror"
  rm -rf --one-file-system "$LAB_DIR/base" "$LAB_DIR/mirror/apt" "$LAB_DIR/tmp"
fi
log "lab is down"
