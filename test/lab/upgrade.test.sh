#!/usr/bin/env bash
# The Kubernetes minor upgrade drill on the lab, through the real pulumi CLI: the lab stack from bare hosts on the
# release of tools/kubernetes (v1.34), then versions.kubernetes and the artifacts moved to the release of
# tools/kubernetes-next (v1.35), both built from k8s.io/kubernetes:
# - a version the artifacts do not hold fails at their install, and nothing restarts;
# - the upgrade rolls the masters one at a time, then the nodes in batches (drained, upgraded, uncordoned), while a
#   client polls hello-world (2 replicas, a PodDisruptionBudget) through the edge VIP and another /readyz through the
#   API VIP, every 200 ms: no request may fail;
# - every apiserver and every node reports the new release, no node stays cordoned, and the next up changes nothing;
# - going back a minor is refused at the first master before anything changes, and the config put back converges.
# Prints the time per master and per node. Run as root; it resets the lab in LAB_DIR and the lab stack's state.
# Ends with "N passed, M failed"; non-zero on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABS=$ROOT/scripts/lab
# shellcheck source=../../scripts/lab/lib.sh
. "$LABS/lib.sh"
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=harness.sh
. "$ROOT/test/lab/harness.sh"
cd "$ROOT"
LOG=$(mktemp /tmp/upgrade-test.XXXXXX)
WORK=$(mktemp -d /tmp/upgrade-test-work.XXXXXX)
STACK=lab
API_VIP=172.31.250.101
EDGE_VIP=172.31.250.102
read -r -a HOSTS <<<"$LAB_HOSTS"
NODES=(lab-w1 lab-e1 lab-w2 lab-e2)
# shellcheck source=lab-stack-test.sh
. "$ROOT/test/lab/lab-stack-test.sh"
k() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/admin.conf" --request-timeout=10s "$@"; }
# shellcheck source=workload-checks.sh
. "$ROOT/test/lab/workload-checks.sh"
# shellcheck source=drill-clients.sh
. "$ROOT/test/lab/drill-clients.sh"
readyz() { curl -fsS --max-time 5 --cacert "$WORK/ca.crt" --cert "$WORK/admin.crt" --key "$WORK/admin.key" "https://$API_VIP:6443/readyz" 2>&1; }
# version_on ADDRESS: the release the apiserver on ADDRESS runs.
version_on() { k --server "https://$1:6443" get --raw /version 2>>"$LOG" | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p'; }
apiserver_versions() { for h in "${HOSTS[@]}"; do version_on "$(host_addr "$h")"; done | paste -sd' '; }
kubelet_versions() { k get nodes "${NODES[@]}" -o jsonpath='{range .items[*]}{.status.nodeInfo.kubeletVersion} {end}' 2>>"$LOG"; }
cordoned() { k get nodes -o jsonpath='{range .items[?(@.spec.unschedulable==true)]}{.metadata.name} {end}' 2>>"$LOG"; }
started_at() { on "$1" systemctl show -p ActiveEnterTimestampMonotonic --value kube-apiserver; }
apiservers_started() { for h in "${HOSTS[@]}"; do started_at "$h"; done | paste -sd' '; }
# use_release DIR: the lab stack's kubernetes-server and kubernetes-node artifacts from DIR's SHA256SUMS, published on
# the lab mirror, and versions.kubernetes as their names give it.
use_release() {
  local sha256 file version
  while read -r sha256 file; do
    case $file in
      kubernetes-server-*) name=kubernetes ;;
      kubernetes-node-*) name=kubernetesNode ;;
      *) continue ;;
    esac
    cp -f "$1/$file" "$LAB_DIR/mirror/artifacts/"
    pulumi config set --path "artifacts.$name.url" "$LAB_MIRROR_URL/artifacts/$file" --stack "$STACK" >>"$LOG"
    pulumi config set --path "artifacts.$name.sha256" "$sha256" --stack "$STACK" >>"$LOG"
    version=${file#kubernetes-*-}
  done <"$1/SHA256SUMS"
  pulumi config set --path versions.kubernetes "${version%%-*}" --stack "$STACK" >>"$LOG"
}

[[ $(id -u) -eq 0 ]] || { bad "must run as root"; exit 1; }
info "log: $LOG"
KUBE_BIN=$(bash "$ROOT/scripts/build-kubernetes.sh" 2>>"$LOG")
OLD_RELEASE=$(dirname "$KUBE_BIN")/release
NEXT_RELEASE=$(dirname "$(bash "$ROOT/scripts/build-kubernetes.sh" tools/kubernetes-next 2>>"$LOG")")/release
OLD=$(sed -n 's/.*kubernetes-server-\(v[^-]*\)-.*/\1/p' "$OLD_RELEASE/SHA256SUMS")
NEXT=$(sed -n 's/.*kubernetes-server-\(v[^-]*\)-.*/\1/p' "$NEXT_RELEASE/SHA256SUMS")
info "from $OLD to $NEXT"

# --- bare hosts and the lab stack on the first release ---------------------------------------------------
"$LABS/down.sh" --purge >>"$LOG" 2>&1
"$LABS/up.sh" >>"$LOG" 2>&1
pulumi stack rm --yes --force --preserve-config "$STACK" >>"$LOG" 2>&1 || true
"$LABS/stack-config.sh" >>"$LOG" 2>&1
cp "$ROOT/Pulumi.lab.yaml" "$WORK/old-release.yaml"
t0=$(now)
check "pulumi up from bare hosts on $OLD" up
info "first up took $(since "$t0")s"
(umask 077 && pulumi stack output kubeconfig --show-secrets --stack "$STACK" >"$WORK/admin.conf")
for field in certificate-authority-data:ca.crt client-certificate-data:admin.crt client-key-data:admin.key; do
  (umask 077 && sed -n "s/^ *${field%%:*}: //p" "$WORK/admin.conf" | base64 -d >"$WORK/${field#*:}")
done
verdict "every apiserver runs $OLD ($(apiserver_versions))" test "$(apiserver_versions)" = "$OLD $OLD $OLD"
verdict "every node's kubelet runs $OLD ($(kubelet_versions))" test "$(kubelet_versions)" = "$OLD $OLD $OLD $OLD "
check "hello-world's 2 replicas are available" k -n cloud wait --for=condition=Available deployment tutum-hello-world --timeout=120s

# --- 1. a version the artifacts do not hold fails at their install, before anything restarts -------------------
before=$(apiservers_started)
pulumi config set --path versions.kubernetes "$NEXT" --stack "$STACK" >>"$LOG"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/mismatch.log" 2>&1; then bad "up with versions.kubernetes $NEXT and the $OLD artifacts fails"; else ok "up with versions.kubernetes $NEXT and the $OLD artifacts fails"; fi
cat "$WORK/mismatch.log" >>"$LOG"
# The first install to fail stops the up: the nodes' (artifacts.kubernetesNode) or the masters' (artifacts.kubernetes).
verdict "at an install, naming the artifact, what it holds and the key" grep -qE "artifacts\.kubernetes(Node)? holds \"Kubernetes $OLD\", but versions\.kubernetes asks for \"Kubernetes $NEXT\"" "$WORK/mismatch.log"
verdict "no apiserver restarted, and every one still runs $OLD" test "$(apiservers_started)" = "$before" -a "$(apiserver_versions)" = "$OLD $OLD $OLD"

# --- 2. the upgrade, under a client of the edge VIP and one of the API VIP ---------------------------------------
use_release "$NEXT_RELEASE"
cp "$ROOT/Pulumi.lab.yaml" "$WORK/next-release.yaml"
start_hello_poller
start_readyz_poller
t0=$(now)
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/upgrade.log" 2>&1; then ok "up upgrades the cluster from $OLD to $NEXT"; else bad "up upgrades the cluster from $OLD to $NEXT"; fi
info "upgrade took $(since "$t0")s"
stop_readyz_poller
stop_hello_poller
cat "$WORK/upgrade.log" >>"$LOG"
info "masters: $(step_times "$WORK/upgrade.log" 'control-plane-lab[0-9]-master')"
info "node drains: $(step_times "$WORK/upgrade.log" 'node-bootstrap-lab-[a-z0-9]*-upgrade-drain')"
info "node kubelet steps: $(step_times "$WORK/upgrade.log" 'node-bootstrap-lab-[a-z0-9]*-kubelet')"
info "node uncordons: $(step_times "$WORK/upgrade.log" 'node-bootstrap-lab-[a-z0-9]*-membership')"
# When and how polls failed, and which pods restarted, for the failures' cause.
head -n 5 "$WORK/hello-failures" >>"$LOG"
tail -n 1 "$WORK/hello-failures" >>"$LOG"
k get pods -A -o wide >>"$LOG" 2>&1 || true
for n in lab-w1 lab-e1 lab-w2 lab-e2; do echo "$n kubelet $(on "$n" systemctl show -p ActiveEnterTimestamp --value kubelet)" >>"$LOG"; done
verdict "hello-world answered through the edge VIP every 200 ms throughout ($(hello_counts))" test ! -s "$WORK/hello-failures"
verdict "/readyz through the API VIP answered ok every 200 ms throughout ($(cat "$WORK/readyz-polls") polls, $(wc -l <"$WORK/readyz-failures") failed)" test ! -s "$WORK/readyz-failures"
verdict "the masters went one at a time, in order, before the first node drained" bash -c "grep -o 'control-plane-lab[0-9]-master updated\|node-bootstrap-lab-[a-z0-9]*-upgrade-drain updated' '$WORK/upgrade.log' | head -n 4 | paste -sd, | grep -qx 'control-plane-lab1-master updated,control-plane-lab2-master updated,control-plane-lab3-master updated,node-bootstrap-lab-[a-z0-9]*-upgrade-drain updated'"
verdict "every apiserver runs $NEXT ($(apiserver_versions))" test "$(apiserver_versions)" = "$NEXT $NEXT $NEXT"
verdict "every node's kubelet runs $NEXT ($(kubelet_versions))" test "$(kubelet_versions)" = "$NEXT $NEXT $NEXT $NEXT "
verdict "no node is left cordoned ($(cordoned))" test -z "$(cordoned)"
check "every Deployment is Available" k wait --for=condition=Available deployment --all -A --timeout=180s
check "and then nothing changes" up --expect-no-changes

# --- 3. going back a minor is refused at the first master, before any file changes ------------------------------
cp "$WORK/old-release.yaml" "$ROOT/Pulumi.lab.yaml"
before=$(apiservers_started)
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/downgrade.log" 2>&1; then bad "up back to $OLD fails"; else ok "up back to $OLD fails"; fi
cat "$WORK/downgrade.log" >>"$LOG"
verdict "at lab1, saying a minor cannot go back and how to undo an upgrade" grep -q "onprem-k8s: control plane lab1 on lab1: versions.kubernetes $OLD is a minor older than the $NEXT that the apiserver on $(host_addr lab1) runs: Kubernetes does not go back a minor; to undo an upgrade, restore etcd" "$WORK/downgrade.log"
verdict "no apiserver restarted, and every one still runs $NEXT" test "$(apiservers_started)" = "$before" -a "$(apiserver_versions)" = "$NEXT $NEXT $NEXT"
cp "$WORK/next-release.yaml" "$ROOT/Pulumi.lab.yaml"
check "the config put back converges" up
verdict "without restarting an apiserver" test "$(apiservers_started)" = "$before"
check "and then nothing changes" up --expect-no-changes
