#!/usr/bin/env bash
set -euo pipefail
STEP='remove registry mirrors lab-w1'
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

if [[ -f /etc/containerd/certs.d/.onprem-k8s-mirrors ]]; then
  while read -r registry; do
    rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak"
    rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
  done </etc/containerd/certs.d/.onprem-k8s-mirrors
  rm -f /etc/containerd/certs.d/.onprem-k8s-mirrors
fi
rm -f /etc/containerd/onprem-registry-ca.crt /etc/containerd/onprem-registry-ca.crt.bak
echo "registry mirrors lab-w1 removed"
