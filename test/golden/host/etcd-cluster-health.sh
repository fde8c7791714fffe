#!/usr/bin/env bash
set -euo pipefail
STEP='etcd cluster health'
# shellcheck disable=SC2034 # as below
CHANGED=0
CHANGED_FILES=()
fail() { echo "onprem-k8s: $STEP on $(hostname): $*" >&2; exit 1; }
# shellcheck disable=SC2034 # CHANGED is read by the steps that restart on change
put_file() {
  local dest=$1 mode=$2 new
  mkdir -p "$(dirname "$dest")"
  new=$(mktemp "$dest.new.XXXXXX")
  cat >"$new"
  chmod "$mode" "$new"
  if [[ -f $dest ]] && cmp -s "$new" "$dest"; then rm -f "$new"; return 0; fi
  if [[ -f $dest ]]; then cp -p "$dest" "$dest.bak"; else rm -f "$dest.bak"; fi
  mv -f "$new" "$dest"
  CHANGED=1
  CHANGED_FILES+=("$dest")
}
restore_files() {
  local dest
  for dest in "${CHANGED_FILES[@]}"; do
    if [[ -f $dest.bak ]]; then mv -f "$dest.bak" "$dest"; else rm -f "$dest"; fi
  done
}
retry() {
  local times=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= times; i++)); do
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}

since=$(date +%s)
known_failure() {
  { printf '%s\n' "$1"; journalctl -u etcd --since "@$since" -o cat --no-pager 2>/dev/null; } | grep -m 1 -o -E 'certificate signed by unknown authority|remote error: tls: bad certificate|cluster ID mismatch|member count is unequal' || true
}
# Healthy, or a cause that waiting cannot mend: a member answers for another cluster, or rejects this one.
healthy() {
  local out cause
  out=$(etcdctl --endpoints=https://172.31.250.11:2379,https://172.31.250.12:2379,https://172.31.250.13:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s endpoint health 2>&1) && return 0
  cause=$(known_failure "$out")
  [[ -z $cause ]] || fail "etcd cluster is not healthy: its members belong to different clusters (etcd: $cause); reset the hosts that hold another cluster (scripts/reset.sh) or destroy the stack that made it"
  return 1
}
if ! retry 60 2 healthy; then
  fail "etcd cluster is not healthy within 120 s: $(etcdctl --endpoints=https://172.31.250.11:2379,https://172.31.250.12:2379,https://172.31.250.13:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s endpoint health 2>&1 | tr '\n' ' ')"
fi
echo "etcd cluster healthy: lab1 lab2 lab3"
