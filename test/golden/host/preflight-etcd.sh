#!/usr/bin/env bash
set -euo pipefail
STEP='preflight on lab4'
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

# another WHAT: the host holds another cluster; nothing of this stack may touch it.
another() { fail "holds $1; if nothing on it is needed, wipe it with 'bash scripts/reset.sh --stack prod --yes'; if another stack made it, run 'pulumi destroy' in that stack first"; }
etcd_ca=$(cat <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBetcdCA
-----END CERTIFICATE-----
ONPREM_K8S_EOF
)
if [[ -f /etc/etcd/pki/ca.crt ]]; then
  [[ $(</etc/etcd/pki/ca.crt) == "$etcd_ca" ]] || another "an etcd member of another cluster (/etc/etcd/pki/ca.crt is another CA, sha256 $(sha256sum </etc/etcd/pki/ca.crt | cut -c1-16))"
elif [[ -d /var/lib/etcd/member ]]; then
  another "etcd data of a cluster that onprem-k8s did not configure (/var/lib/etcd/member, no /etc/etcd)"
elif systemctl is-active --quiet etcd; then
  another "a running etcd that onprem-k8s did not configure (no /etc/etcd)"
fi
echo "preflight on lab4: no other cluster"
