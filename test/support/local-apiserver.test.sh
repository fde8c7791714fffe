#!/usr/bin/env bash
# Tests test/support/local-apiserver.sh: start, /readyz, strict server-side apply (and a typo rejected), a Deployment
# rolled out on a kwok node, listeners on 127.0.0.1 only, stop leaves no process and no directory.
# Uses KUBE_BIN/ETCD like the script does. Ends with "N passed, M failed"; non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/test/support/local-apiserver.sh"
DIR="$(mktemp -d -u /tmp/local-apiserver-test.XXXXXX)"
WORK="$(mktemp -d /tmp/local-apiserver-test-work.XXXXXX)"
LOG="$(mktemp /tmp/local-apiserver-test.XXXXXX.log)"
pass=0
fail=0
ok() {
  pass=$((pass + 1))
  echo "ok: $*"
}
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*"
}
# check NAME CMD...: one test.
check() {
  local name="$1"
  shift
  echo "== $name" >>"$LOG"
  if "$@" >>"$LOG" 2>&1; then ok "$name"; else bad "$name (log: $LOG)"; fi
}
finish() {
  local rc=$?
  [[ $rc == 0 ]] || bad "test aborted (exit $rc)"
  [[ -d $DIR ]] && "$LOCAL" stop "$DIR" >/dev/null 2>&1
  rm -rf "$WORK"
  ((fail > 0)) || rm -f "$LOG"
  echo "$pass passed, $fail failed"
  ((fail == 0))
}
trap finish EXIT

cat >"$WORK/app.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
EOF
sed 's/imagePullPolicy:/imagePullPolcy:/' "$WORK/app.yaml" >"$WORK/typo.yaml"

if "$LOCAL" start "$DIR" >"$WORK/env" 2>>"$LOG"; then ok "start"; else
  bad "start"
  cat "$LOG"
  exit 1
fi
# shellcheck disable=SC1091 # written by start
source "$WORK/env"
k() { kubectl --kubeconfig "$DIR/kubeconfig" "$@"; }
pids=()
names=()
for f in "$DIR"/*.pid; do
  pids+=("$(cat "$f")")
  names+=("$(basename "$f" .pid)")
done

readyz_ok() { [[ "$(k get --raw /readyz)" == ok ]]; }
check "kubectl get --raw /readyz says ok" readyz_ok
env_ok() { [[ "$("$LOCAL" env "$DIR")" == *"export KUBECONFIG=$DIR/kubeconfig"* ]]; }
check "env prints KUBECONFIG" env_ok
check "the admin is allowed everything (system:masters)" k auth can-i '*' '*' --all-namespaces
version_ok() { k version -o json | grep -q '"gitVersion": "v1.34.4"'; }
check "server and kubectl report v1.34.4" version_ok
only_loopback() {
  local out
  out="$(ss -Hltnp)"
  local pid lines
  for pid in "${pids[@]}"; do
    lines="$(grep "pid=$pid," <<<"$out" || true)"
    [[ -n $lines ]] || { echo "pid $pid listens nowhere"; return 1; }
    if awk '{print $4}' <<<"$lines" | grep -v '^127\.0\.0\.1:'; then return 1; fi
  done
}
check "every component listens on 127.0.0.1 only" only_loopback
check "server-side apply --validate=strict of a Deployment and a Service" \
  k apply --server-side --validate=strict --field-manager=test -f "$WORK/app.yaml"
typo_rejected() {
  local out
  if out="$(k apply --server-side --validate=strict --field-manager=test -f "$WORK/typo.yaml" 2>&1)"; then
    echo "typo accepted: $out"
    return 1
  fi
  echo "$out"
  # Server-side apply says "field not declared in schema"; client-side strict validation says "unknown field".
  grep -Eq 'imagePullPolcy.*(field not declared in schema|unknown field)|unknown field.*imagePullPolcy' <<<"$out"
}
check "a typo field (imagePullPolcy) is rejected by strict validation" typo_rejected
check "the Deployment rolls out on the kwok node" k rollout status deployment/web --timeout=90s
endpoints_ok() {
  local i ready
  for ((i = 0; i < 100; i++)); do
    ready="$(k get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].conditions.ready}')"
    [[ $ready == "true true" ]] && return 0
    sleep 0.2
  done
  echo "ready conditions: '$ready'"
  k get endpointslices -o yaml
  return 1
}
check "the Service has two ready endpoints" endpoints_ok
check "a new namespace gets its default ServiceAccount" \
  bash -c "kubectl --kubeconfig '$DIR/kubeconfig' create namespace t1 && for i in \$(seq 50); do kubectl --kubeconfig '$DIR/kubeconfig' -n t1 get sa default && exit 0; sleep 0.2; done; exit 1"
refuses_reuse() { ! "$LOCAL" start "$DIR"; }
check "start refuses a non-empty DIR" refuses_reuse

# Every component must end on SIGTERM (no SIGKILL needed) and stop must be quick.
clean_stop() {
  local t0=$SECONDS out
  out="$("$LOCAL" stop "$DIR" 2>&1)" || { echo "$out"; return 1; }
  echo "$out"
  echo "stop took $((SECONDS - t0))s"
  [[ $out != *SIGKILL* ]] && ((SECONDS - t0 < 15))
}
check "stop ends every component with SIGTERM, in under 15 s" clean_stop
# A zombie (exited, not yet reaped by its new parent) does not count as left.
none_left() {
  local i
  for i in "${!pids[@]}"; do
    if [[ -r /proc/${pids[i]}/stat ]] && [[ "$(cut -d' ' -f3 <"/proc/${pids[i]}/stat")" != Z ]]; then
      echo "${names[i]} (pid ${pids[i]}) still running: $(tr '\0' ' ' <"/proc/${pids[i]}/cmdline")"
      return 1
    fi
  done
}
check "no process is left (${#pids[@]} PIDs)" none_left
check "DIR is removed" test ! -e "$DIR"
check "stop of a missing DIR is a no-op" "$LOCAL" stop "$DIR"
