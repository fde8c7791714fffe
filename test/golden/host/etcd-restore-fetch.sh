#!/usr/bin/env bash
set -euo pipefail
STEP='etcd restore drill-1: fetch the snapshot from lab1 to lab2'
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

SECRETS=$(umask 077 && mktemp -d /run/onprem-k8s-secrets.XXXXXX)
trap 'rm -rf "$SECRETS"' EXIT
secret_name=
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line == "@@secret "* ]]; then
    secret_name=${line#"@@secret "}
    : >"$SECRETS/$secret_name"
  elif [[ -n $secret_name ]]; then
    printf '%s\n' "$line" >>"$SECRETS/$secret_name"
  fi
done

command -v etcdutl >/dev/null || fail "etcdutl is not installed: the etcd release must carry it"
mkdir -p /var/lib/etcd-restore/drill-1
chmod 0700 /var/lib/etcd-restore/drill-1
echo '172.31.250.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyOfLab1' >"$SECRETS/known_hosts"
# ssh ignores a private key that others could read.
chmod 0600 "$SECRETS/ssh.key"
source_ssh() {
  ssh -i "$SECRETS/ssh.key" -p 22 -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SECRETS/known_hosts" \
    -o ConnectTimeout=10 root@172.31.250.11 "$@" 2>"$SECRETS/ssh.err"
}
command -v ssh >/dev/null || fail "ssh (openssh-client) is not installed"
want=$(source_ssh sha256sum /var/lib/etcd-restore/drill-1/snapshot.db | cut -d' ' -f1) || fail "cannot read /var/lib/etcd-restore/drill-1/snapshot.db on lab1: $(tail -n 1 "$SECRETS/ssh.err")"
if [[ ! -f /var/lib/etcd-restore/drill-1/snapshot.db ]] || [[ $(sha256sum /var/lib/etcd-restore/drill-1/snapshot.db | cut -d' ' -f1) != "$want" ]]; then
  source_ssh cat /var/lib/etcd-restore/drill-1/snapshot.db >/var/lib/etcd-restore/drill-1/snapshot.db.part || fail "copying the snapshot from lab1 failed: $(tail -n 1 "$SECRETS/ssh.err")"
  [[ $(sha256sum /var/lib/etcd-restore/drill-1/snapshot.db.part | cut -d' ' -f1) == "$want" ]] || fail "the snapshot copied from lab1 does not match its sha256 $want"
  mv /var/lib/etcd-restore/drill-1/snapshot.db.part /var/lib/etcd-restore/drill-1/snapshot.db
fi
source_ssh cat /var/lib/etcd-restore/drill-1/source >/var/lib/etcd-restore/drill-1/source.part || echo "lab1" >/var/lib/etcd-restore/drill-1/source.part
mv /var/lib/etcd-restore/drill-1/source.part /var/lib/etcd-restore/drill-1/source
etcdutl snapshot status /var/lib/etcd-restore/drill-1/snapshot.db -w simple >/var/lib/etcd-restore/drill-1/status 2>&1 || fail "/var/lib/etcd-restore/drill-1/snapshot.db is not a sound etcd snapshot: $(tail -n 1 /var/lib/etcd-restore/drill-1/status)"
IFS=', ' read -r _ revision keys _ </var/lib/etcd-restore/drill-1/status
echo "snapshot staged: revision $revision, $keys keys, sha256 $(sha256sum /var/lib/etcd-restore/drill-1/snapshot.db | cut -d' ' -f1)"
