#!/usr/bin/env bash
# Print each lab host with its wrapper PID, address and whether ssh answers.
# Exit status is non-zero if any host (or the mirror) is down.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rc=0
printf '%-8s %-8s %-15s %s\n' HOST PID ADDRESS SSH
while read -r h; do
  addr=$(host_addr "$h" || echo '?')
  if host_running "$h"; then
    pid=$(read_pid "$(host_dir "$h")/pid")
    if ssh_ok "$addr"; then state=ok; else state=down; rc=1; fi
  elif [[ " $LAB_HOSTS $LAB_NODES " == *" $h "* ]]; then
    pid=- state=stopped rc=1
  else
    pid=- state="stopped (not in LAB_HOSTS or LAB_NODES; down.sh --purge removes it)"
  fi
  printf '%-8s %-8s %-15s %s\n' "$h" "$pid" "$addr" "$state"
done < <(all_hosts)
if mirror_running; then
  echo "mirror   $(read_pid "$LAB_DIR/mirror.pid")  $LAB_MIRROR_URL/ up"
else
  echo "mirror   -  $LAB_MIRROR_URL/ stopped"; rc=1
fi
exit "$rc"
