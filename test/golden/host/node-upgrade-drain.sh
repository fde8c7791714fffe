#!/usr/bin/env bash
set -euo pipefail
STEP='node lab-w2 upgrade to kubelet v1.35.4'
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
apiserver=$(k get --raw /version | sed -n 's/.*"gitVersion": *"\(v[0-9][^"]*\)".*/\1/p') || true
[[ $apiserver =~ ^v[0-9]+\.([0-9]+)\. ]] || fail "the API does not answer /version with a release"
minor=${BASH_REMATCH[1]}
if ((35 > minor)); then
  fail "the kubelet v1.35.4 would be newer than the apiservers' $apiserver: the masters go first; their steps did not finish"
elif ((35 < minor - 3)); then
  fail "the kubelet v1.35.4 would be more than 3 minors behind the apiservers' $apiserver"
fi
if ! running=$(k get node lab-w2 -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>/dev/null); then
  echo "node lab-w2 is not registered yet: nothing to drain"
  exit 0
fi
if [[ $running == v1.35.4 ]]; then
  echo "node lab-w2 runs kubelet $running already"
  exit 0
fi
k cordon lab-w2 >/dev/null || fail "cannot cordon lab-w2"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
k drain lab-w2 --ignore-daemonsets --delete-emptydir-data --timeout=300s --request-timeout=0 >"$out" 2>&1 ||
  fail "draining lab-w2 for its upgrade did not end within 300 s (it stays cordoned, and the next up tries again): $(grep -v '^evicting\|^pod/' "$out" | tail -n 2 | tr '\n' ' ')"
echo "node lab-w2 drained for its upgrade from kubelet $running to v1.35.4"
