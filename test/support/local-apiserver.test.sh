#!/usr/bin/env bash
# Tests test/support/local-apiserver.sh: start, /readyz, strict server-side apply (and a typo, a wrongly typed field and
# a malformed quantity rejected), every chart's golden objects as a strict server-side dry run, a Deployment
# rolled out on a kwok node, listeners on 127.0.0.1 only, stop leaves no process and no directory.
# Then Pulumi's kubernetes provider through the real pulumi CLI: a misspelt field of a built-in kind is dropped;
# helm.v4.Chart from a chart archive; a NodePatch labels and taints a Node that another field manager registered, a second up changes
# nothing, a conflict fails naming the other manager, a Patch of a missing Node creates it (upstream's apply is an
# upsert), and destroy gives the fields back but leaves the Node.
# Uses KUBE_BIN/ETCD like the script does, and the npm packages (scripts/setup.sh). Ends with "N passed, M failed";
# non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/test/support/local-apiserver.sh"
DIR="$(mktemp -d -u /tmp/local-apiserver-test.XXXXXX)"
WORK="$(mktemp -d /tmp/local-apiserver-test-work.XXXXXX)"
LOG="$(mktemp /tmp/local-apiserver-test.XXXXXX.log)"
# The Pulumi stacks of this test live in WORK, whatever backend the caller uses.
export PULUMI_BACKEND_URL="file://$WORK/backend"
mkdir -p "$WORK/backend"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
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
sed 's/imagePullPolicy: IfNotPresent/imagePullPolcy: Never/' "$WORK/app.yaml" >"$WORK/typo.yaml"
sed 's/replicas: 2/replicas: "2"/' "$WORK/app.yaml" >"$WORK/wrong-type.yaml"
sed 's/^\( *\)imagePullPolicy: IfNotPresent/&\n\1resources: {limits: {memory: 1 GB}}/' "$WORK/app.yaml" >"$WORK/bad-quantity.yaml"

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
# dry_run_rejected FILE PATTERN: the strict server-side dry run that the golden objects pass below refuses FILE, and
# its answer matches PATTERN.
dry_run_rejected() {
  local out
  if out="$(k apply --server-side --dry-run=server --validate=strict --field-manager=test -f "$1" 2>&1)"; then
    echo "accepted: $out"
    return 1
  fi
  echo "$out"
  grep -Eq "$2" <<<"$out"
}
check "the strict dry run rejects a wrongly typed field (replicas: \"2\")" dry_run_rejected "$WORK/wrong-type.yaml" 'spec\.replicas'
check "the strict dry run rejects a malformed quantity (memory: 1 GB)" dry_run_rejected "$WORK/bad-quantity.yaml" 'quantities must match'
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
# The charts' golden files against this apiserver (the Kubernetes the lab runs), as a strict server-side dry run.
# Their namespaces and CRDs are created for real first, as strictly: a dry run cannot make what the other objects need.
# The charts' Traefik CRDs keep unknown fields under spec: test/unit/charts/traefik-resources.test.ts checks those specs.
goldens_valid() {
  node -e '
    const fs = require("fs"), path = require("path"), yaml = require(process.argv[1] + "/node_modules/js-yaml");
    const dir = process.argv[1] + "/test/golden";
    const objects = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), "utf8")));
    const first = (o) => o.kind === "Namespace" || o.kind === "CustomResourceDefinition";
    // Secrets come without data (Pulumi attaches it); a registry login must have some to be valid.
    for (const o of objects) if (o.type === "kubernetes.io/dockerconfigjson") o.stringData = { ".dockerconfigjson": "{\"auths\": {}}" };
    // A namespace the objects use that no golden file defines (default, cloud) is made bare.
    const defined = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
    const bare = [...new Set(objects.map((o) => o.metadata.namespace).filter((n) => n && !defined.has(n)))].map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    const dump = (list) => list.map((o) => yaml.dump(o)).join("---\n");
    fs.writeFileSync(process.argv[2] + "/goldens-first.yaml", dump([...bare, ...objects.filter(first)]));
    fs.writeFileSync(process.argv[2] + "/goldens.yaml", dump(objects.filter((o) => !first(o))));
    console.log(objects.length + " objects");
  ' "$ROOT" "$WORK" &&
    k apply --server-side --validate=strict --field-manager=test -f "$WORK/goldens-first.yaml" &&
    k wait --for=condition=Established crd --all --timeout=60s &&
    k apply --server-side --dry-run=server --validate=strict --field-manager=test -f "$WORK/goldens.yaml"
}
check "every chart's golden objects pass a strict server-side dry run on Kubernetes v1.34" goldens_valid
check "a new namespace gets its default ServiceAccount" \
  bash -c "kubectl --kubeconfig '$DIR/kubeconfig' create namespace t1 && for i in \$(seq 50); do kubectl --kubeconfig '$DIR/kubeconfig' -n t1 get sa default && exit 0; sleep 0.2; done; exit 1"
# --- Pulumi's kubernetes provider through the real pulumi CLI: a server-side dry run in preview, and NodePatch.
# The target is a kwok Node created by another field manager (node-admin), as a kubelet registers its own Node.
NODE=patch-target
cat >"$WORK/node.yaml" <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $NODE
    kubernetes.io/os: linux
    type: kwok
    onprem-k8s.test/owner: node-admin
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
# The shared scratch program (test/fixtures/scratch), on a copy beside its own node_modules link.
PROGRAM="$WORK/program"
cp -r "$ROOT/test/fixtures/scratch" "$PROGRAM"
ln -s "$ROOT/node_modules" "$PROGRAM/node_modules"
# pl STACK ARGS...: the pulumi CLI on the scratch program; its output goes to the log and to $WORK/out.
pl() {
  local stack="$1" rc=0
  shift
  pulumi "$@" --stack "$stack" --cwd "$PROGRAM" --non-interactive --color=never >"$WORK/out" 2>&1 || rc=$?
  cat "$WORK/out"
  return "$rc"
}
# stack_init STACK [CASE]: a stack of the scratch program declaring CASE (default: STACK).
stack_init() {
  pulumi stack init "$1" --cwd "$PROGRAM" --non-interactive &&
    pulumi config set kubeconfig "$DIR/kubeconfig" --stack "$1" --cwd "$PROGRAM" &&
    pulumi config set node "$NODE" --stack "$1" --cwd "$PROGRAM" &&
    pulumi config set case "${2:-$1}" --stack "$1" --cwd "$PROGRAM"
}
node_field() { k get node "$NODE" -o jsonpath="$1"; }
target_ready() {
  local i
  # The engine and providers as pinned (cached: instant after the first build).
  bash "$ROOT/scripts/build-tools.sh" && k apply --server-side --field-manager=node-admin -f "$WORK/node.yaml" &&
    k wait --for=condition=Ready "node/$NODE" --timeout=60s || return 1
  # The node lifecycle controller may have tainted the Node before kwok made it Ready: wait for that to go.
  for ((i = 0; i < 300; i++)); do
    [[ -z "$(node_field '{.spec.taints}')" ]] && return 0
    sleep 0.2
  done
  node_field '{.spec.taints}'
  return 1
}
check "a Node registered by another field manager (node-admin) is Ready and untainted" target_ready
patch_up() { stack_init patch && pl patch up --yes --skip-preview; }
check "pulumi up of a NodePatch (patchForce) succeeds" patch_up
patched() {
  local managers
  [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/role}')" == edge ]] || { echo "label missing"; return 1; }
  [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/zone}')" == a ]] || { echo "zone label missing"; return 1; }
  [[ "$(node_field '{range .spec.taints[*]}{.key}={.value}:{.effect}{end}')" == "onprem-k8s.test/dedicated=edge:NoSchedule" ]] ||
    { echo "taints: $(node_field '{.spec.taints}')"; return 1; }
  [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/owner}')" == node-admin ]] || { echo "node-admin's label changed"; return 1; }
  managers="$(node_field '{range .metadata.managedFields[*]}{.manager}/{.operation}{"\n"}{end}')"
  echo "$managers"
  grep -Eq '^pulumi-kubernetes-[0-9a-f]+/Apply$' <<<"$managers"
}
check "the Node has the label and the taint, owned by the Patch's own field manager (pulumi-kubernetes-<hex>)" patched
check "a second pulumi up shows no changes" pl patch up --yes --expect-no-changes
refresh_ok() { pl patch refresh --yes && pl patch preview --expect-no-changes; }
check "pulumi refresh reads the live Node, and a preview after it shows no changes" refresh_ok
changed() {
  pulumi config set changed true --stack patch --cwd "$PROGRAM" && pl patch up --yes --skip-preview || return 1
  [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/role}')" == worker ]] || { echo "label not changed"; return 1; }
  [[ -z "$(node_field '{.metadata.labels.onprem-k8s\.test/zone}')" ]] || { echo "dropped label left"; return 1; }
  [[ "$(node_field '{range .spec.taints[*]}{.key}{end}')" == onprem-k8s.test/dedicated ]] || { echo "taint lost"; return 1; }
}
check "an update changes a label, and removes the label the Patch no longer sets" changed
conflict_fails() {
  stack_init conflict || return 1
  if pl conflict up --yes --skip-preview; then
    echo "the conflicting Patch was applied"
    return 1
  fi
  grep -q 'Server-Side Apply field conflict detected' "$WORK/out" &&
    grep -q 'conflict with "node-admin".*\.metadata\.labels\.onprem-k8s\.test/owner' "$WORK/out" &&
    [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/owner}')" == node-admin ]]
}
check "a NodePatch without patchForce that changes node-admin's label fails naming node-admin, and changes nothing" conflict_fails
# Why NodeBootstrap's host step waits for the kubelet to register its Node before the NodePatch runs.
missing_created() {
  stack_init missing && pl missing up --yes --skip-preview || return 1
  [[ "$(k get node no-such-node -o jsonpath='{.metadata.labels.onprem-k8s\.test/role}')" == edge ]] || return 1
  pl missing destroy --yes --skip-preview && k delete node no-such-node
}
check "a NodePatch of a missing Node creates it (upstream's apply is an upsert)" missing_created
helm_applied() {
  tar -czf "$WORK/greeting-0.1.0.tgz" -C "$ROOT/test/fixtures/helm" greeting && stack_init helm &&
    pulumi config set chart "$WORK/greeting-0.1.0.tgz" --stack helm --cwd "$PROGRAM" && pl helm up --yes --skip-preview || return 1
  grep -q 'kubernetes:helm.sh/v4:Chart' "$WORK/out" || return 1
  [[ "$(k -n default get configmap greeting-greeting -o jsonpath='{.data.greeting}')" == hallo ]] || return 1
  # Upstream awaits the Deployment: the up ended with its pod Ready on the kwok node.
  [[ "$(k -n default get deployment greeting-greeting -o jsonpath='{.status.readyReplicas}')" == 1 ]] || return 1
  pl helm up --yes --expect-no-changes && pl helm destroy --yes --skip-preview || return 1
  ! k -n default get configmap greeting-greeting >"$WORK/absent.out" 2>&1 && grep -q NotFound "$WORK/absent.out"
}
check "helm.v4.Chart renders a chart archive from a path, applies and awaits its objects, and destroy removes them" helm_applied
# Upstream's Check converts an object of a built-in kind to its Go type and back, which drops a field the type does
# not have: the dry run never sees it. (A custom resource keeps it, and the apiserver answers: test/lab.)
typo_dropped() {
  k delete -f "$WORK/app.yaml" --wait=true && stack_init typo manifest &&
    pulumi config set manifest "$(cat "$WORK/typo.yaml")" --stack typo --cwd "$PROGRAM" && pl typo preview && pl typo up --yes --skip-preview || return 1
  [[ "$(k -n default get deployment web -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy}')" == IfNotPresent ]] &&
    pl typo destroy --yes --skip-preview
}
check "a manifest whose Deployment misspells imagePullPolicy (Never) previews and applies with the default IfNotPresent: upstream drops the field" typo_dropped
released() {
  pl patch destroy --yes --skip-preview || return 1
  k get node "$NODE" -o yaml
  [[ -z "$(node_field '{.metadata.labels.onprem-k8s\.test/role}')" ]] || { echo "label left"; return 1; }
  [[ -z "$(node_field '{.spec.taints}')" ]] || { echo "taint left"; return 1; }
  [[ -z "$(node_field '{.metadata.annotations.pulumi\.com/patchForce}')" ]] || { echo "annotation left"; return 1; }
  [[ "$(node_field '{.metadata.labels.onprem-k8s\.test/owner}')" == node-admin ]] &&
    [[ "$(node_field '{.metadata.labels.kubernetes\.io/hostname}')" == "$NODE" ]] &&
    [[ -z "$(node_field '{.metadata.deletionTimestamp}')" ]]
}
check "pulumi destroy removes the label, the taint and the annotation, and leaves the Node and its other labels" released

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
