#!/usr/bin/env bash
# The scale stack: the lab stack's control plane with NODES simulated nodes (kwok, `simulated: true`) and hello-world at
# REPLICAS replicas, where real nodes would not fit on one machine. Measures `pulumi up` from bare hosts until every
# simulated node is Ready and every replica Available, a no-op up, and the apiserver's memory on each master.
# Usage: bash bench/scale.sh [NODES (100)] [REPLICAS (300)]. It runs on a lab of its own (its own directory, bridge,
# network and stack `scale`, derived from the lab stack), so it never disturbs the lab or the lab stack.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LABS=$ROOT/scripts/lab
NODES=${1:-100}
REPLICAS=${2:-300}
# Host names differ from the lab's: nspawn names its network interfaces after them. No node hosts: kwok simulates them.
export LAB_DIR=/var/lib/onprem-k8s-scale LAB_BRIDGE=br-scale LAB_BRIDGE_ADDR=172.31.252.1/24 LAB_HOSTS="scale1 scale2 scale3" LAB_NODES='' LAB_STACK=scale
# shellcheck source=scripts/lab/lib.sh
. "$LABS/lib.sh"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=bench/derived-stack.sh
. "$ROOT/bench/derived-stack.sh"
cd "$ROOT"
STACK=scale
# The lab stack with its worker and edge lines replaced by NODES simulated ones (a worker, then an edge node, in turn,
# on host addresses .111 and up, which kwok never dials), and hello-world's replicas.
((NODES >= 1 && NODES <= 140)) || { echo "scale: NODES must be 1 to 140 (the lab's host network)" >&2; exit 2; }
derived_lab_config 172.31.252 scale >Pulumi.scale.yaml
for ((i = 1; i <= NODES; i++)); do
  if ((i % 2)); then
    echo "    - {name: scale-w$i, address: 172.31.252.$((110 + i)), roles: [worker], labels: {storage: ssd}, simulated: true}"
  else
    echo "    - {name: scale-e$i, address: 172.31.252.$((110 + i)), roles: [edge], labels: {node-role.kubernetes.io/edge: \"\"}, taints: [{key: node-role.kubernetes.io/edge, effect: NoSchedule}], simulated: true}"
  fi
done | with_nodes Pulumi.scale.yaml
python3 - "$REPLICAS" <<'PY'
import re, sys
text = open("Pulumi.scale.yaml").read()
text = re.sub(r"(image: tutum/hello-world\n      ports: \[\{containerPort: 80, name: web\}\]\n      replicas: )\d+", r"\g<1>" + sys.argv[1], text)
open("Pulumi.scale.yaml", "w").write(text)
PY
cleanup() {
  pulumi stack rm --yes --force "$STACK" >/dev/null 2>&1 || true
  rm -f Pulumi.scale.yaml
  "$LABS/down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$LABS/down.sh" --purge >/dev/null 2>&1
"$LABS/up.sh" >/dev/null 2>&1
fresh_stack

/usr/bin/time -f "%e %M" -o "$LAB_DIR/up.time" pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$LAB_DIR/up.log" 2>&1 ||
  { echo "scale: pulumi up failed, see $LAB_DIR/up.log" >&2; exit 1; }
read -r up_s up_kib <"$LAB_DIR/up.time"
KUBE_BIN=$(bash scripts/build-kubernetes.sh 2>/dev/null)
(umask 077 && pulumi stack output kubeconfig --show-secrets --stack "$STACK" >"$LAB_DIR/admin.conf")
k() { "$KUBE_BIN/kubectl" --kubeconfig "$LAB_DIR/admin.conf" "$@"; }
ready=$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
available=$(k -n cloud get deployment tutum-hello-world -o jsonpath='{.status.availableReplicas}')
/usr/bin/time -f "%e %M" -o "$LAB_DIR/noop.time" pulumi up --yes --skip-preview --stack "$STACK" --non-interactive --expect-no-changes >/dev/null 2>&1 ||
  { echo "scale: the second up was not a no-op" >&2; exit 1; }
read -r noop_s noop_kib <"$LAB_DIR/noop.time"
echo "scale stack: $NODES simulated nodes, hello-world at $REPLICAS replicas"
echo "  pulumi up from bare hosts: ${up_s}s, peak RSS $((up_kib / 1024)) MiB; then $ready of $NODES nodes Ready, $available of $REPLICAS replicas Available"
echo "  pulumi up, no changes: ${noop_s}s, peak RSS $((noop_kib / 1024)) MiB"
for h in $LAB_HOSTS; do
  echo "  $h kube-apiserver RSS: $("$LABS/ssh.sh" "$h" "ps -o rss= -C kube-apiserver" </dev/null | awk '{ printf "%.0f MiB", $1 / 1024 }')"
done
((ready == NODES && available == REPLICAS)) || { echo "scale: not every node Ready or replica Available" >&2; exit 1; }
