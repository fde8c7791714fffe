#!/usr/bin/env bash
set -euo pipefail
STEP='etcd restore drill-1: check the uploaded snapshot on lab2'
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

command -v etcdutl >/dev/null || fail "etcdutl is not installed: the etcd release must carry it"
got=$(sha256sum /var/lib/etcd-restore/drill-1/snapshot.db.upload | cut -d' ' -f1)
[[ $got == dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd ]] || fail "the uploaded snapshot has sha256 $got, not dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd as etcd.restore.snapshot.sha256 says"
cp /var/lib/etcd-restore/drill-1/snapshot.db.upload /var/lib/etcd-restore/drill-1/snapshot.db.part
mv /var/lib/etcd-restore/drill-1/snapshot.db.part /var/lib/etcd-restore/drill-1/snapshot.db
echo ./etcd.db >/var/lib/etcd-restore/drill-1/source
etcdutl snapshot status /var/lib/etcd-restore/drill-1/snapshot.db -w simple >/var/lib/etcd-restore/drill-1/status 2>&1 || fail "/var/lib/etcd-restore/drill-1/snapshot.db is not a sound etcd snapshot: $(tail -n 1 /var/lib/etcd-restore/drill-1/status)"
IFS=', ' read -r _ revision keys _ </var/lib/etcd-restore/drill-1/status
echo "snapshot staged: revision $revision, $keys keys, sha256 $(sha256sum /var/lib/etcd-restore/drill-1/snapshot.db | cut -d' ' -f1)"
