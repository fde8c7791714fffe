#!/usr/bin/env bash
set -euo pipefail
STEP='restart the in-cluster API clients to trust the CA bundle 41a8aa2607ecad68'
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

bundle=$(</etc/kubernetes/pki/ca.crt)
[[ $(sha256sum </etc/kubernetes/pki/ca.crt | cut -d' ' -f1) == 41a8aa2607ecad68b94782d56ac40f5e6408b150a35e5982ce4d156b338aa1d5 ]] || fail "/etc/kubernetes/pki/ca.crt is not the CA bundle 41a8aa2607ecad68: the masters' steps did not write it"
# The controller-manager publishes the bundle to every namespace after it restarts on it.
stale_namespaces() {
  local ns stale=()
  for ns in $(kubectl --server https://172.31.250.101:6443 get namespaces -o jsonpath='{.items[*].metadata.name}'); do
    [[ $(kubectl --server https://172.31.250.101:6443 -n "$ns" get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' 2>/dev/null) == "$bundle" ]] || stale+=("$ns")
  done
  echo "${stale[*]}"
}
published() { [[ -z $(stale_namespaces) ]]; }
retry 60 2 published || fail "kube-root-ca.crt does not hold the CA bundle in: $(stale_namespaces)"
workloads=$(mktemp)
trap 'rm -f "$workloads"' EXIT
kubectl --server https://172.31.250.101:6443 get deployments,daemonsets,statefulsets --all-namespaces \
  -o jsonpath='{range .items[*]}{.metadata.namespace} {.kind} {.metadata.name} {.spec.template.spec.automountServiceAccountToken}{"\n"}{end}' >"$workloads"
restarted=()
while read -r ns kind name automount; do
  [[ $automount == false ]] && continue
  kubectl --server https://172.31.250.101:6443 -n "$ns" rollout restart "$kind/$name" >/dev/null || fail "kubectl rollout restart $kind/$name in $ns failed"
  restarted+=("$ns/$kind/$name")
done <"$workloads"
for workload in "${restarted[@]}"; do
  IFS=/ read -r ns kind name <<<"$workload"
  kubectl --server https://172.31.250.101:6443 -n "$ns" rollout status "$kind/$name" --timeout=600s >/dev/null || fail "$kind/$name in $ns did not roll out within 600 s after its restart"
done
echo "${#restarted[@]} workloads restarted on the CA bundle 41a8aa2607ecad68: ${restarted[*]}"
