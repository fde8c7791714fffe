#!/usr/bin/env bash
set -euo pipefail
STEP='etcd restore drill-1: start the control plane on lab1'
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

if [[ ! -f /etc/systemd/system/kube-apiserver.service ]]; then
  echo "no control plane on lab1 yet: its own step starts it"
  exit 0
fi
systemctl start kube-apiserver kube-controller-manager kube-scheduler kube-control-plane-ensure.timer
api_ready() { kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.11:6443 --request-timeout=5s get --raw /readyz >/dev/null 2>&1; }
retry 90 2 api_ready || fail "kube-apiserver is not ready on https://172.31.250.11:6443 after the restore: $(kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.11:6443 --request-timeout=5s get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\n' ' ')"
echo "control plane on lab1: ready on the restored etcd"
