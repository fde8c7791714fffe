#!/usr/bin/env bash
set -euo pipefail
STEP='control plane ready'
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

k() { kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.101:6443 --request-timeout=5s "$@"; }
ready() { k get --raw /readyz >/dev/null 2>&1; }
retry 60 2 ready || fail "the API at https://172.31.250.101:6443 is not ready: $(k get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\n' ' ')"
addresses() { k get endpoints kubernetes -n default -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null | tr ' ' '\n' | LC_ALL=C sort | paste -sd' '; }
every_master() { [[ $(addresses) == '172.31.250.11 172.31.250.12 172.31.250.13' ]]; }
retry 60 2 every_master || fail "the kubernetes Service lists [$(addresses)], not every master (172.31.250.11 172.31.250.12 172.31.250.13)"
retry 60 2 k get serviceaccount default -n default >/dev/null 2>&1 || fail "the controller-manager has not made the default ServiceAccount"
echo "control plane ready at https://172.31.250.101:6443: lab1 lab2 lab3"
