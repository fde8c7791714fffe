#!/usr/bin/env bash
set -euo pipefail
STEP='etcd restore drill-1: restore the data of lab2'
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

if [[ -f /var/lib/etcd-restore/drill-1/restored ]]; then
  echo "etcd lab2: already restored by drill-1"
  exit 0
fi
[[ -f /var/lib/etcd-restore/drill-1/snapshot.db ]] || fail "no staged snapshot in /var/lib/etcd-restore/drill-1"
# The timers first, so nothing starts etcd or snapshots it midway; the backup timer is missing on a cluster made by this up.
for unit in etcd-ensure.timer etcd-backup.timer etcd; do systemctl stop "$unit" 2>/dev/null || true; done
! systemctl is-active --quiet etcd || fail "etcd did not stop"
rm -rf /var/lib/etcd-restore/drill-1/data.new
etcdutl snapshot restore /var/lib/etcd-restore/drill-1/snapshot.db --name lab2 --data-dir /var/lib/etcd-restore/drill-1/data.new \
  --initial-cluster lab1=https://172.31.250.11:2380,lab2=https://172.31.250.12:2380,lab3=https://172.31.250.13:2380 --initial-cluster-token lab-etcd-0123456789ab-drill-1 \
  --initial-advertise-peer-urls https://172.31.250.12:2380 >/var/lib/etcd-restore/drill-1/restore.log 2>&1 || fail "etcdutl snapshot restore failed: $(tail -n 1 /var/lib/etcd-restore/drill-1/restore.log)"
# The data it replaces is kept once, from before the first attempt: a retry must not keep a half-restored one instead.
if [[ -e /var/lib/etcd && ! -e /var/lib/etcd-restore/drill-1/data.before ]]; then mv /var/lib/etcd /var/lib/etcd-restore/drill-1/data.before; else rm -rf /var/lib/etcd; fi
mv /var/lib/etcd-restore/drill-1/data.new /var/lib/etcd
chmod 0700 /var/lib/etcd
touch /var/lib/etcd-restore/drill-1/restored
echo "etcd lab2: data restored from $(cat /var/lib/etcd-restore/drill-1/source), the replaced data kept in /var/lib/etcd-restore/drill-1/data.before"
