#!/usr/bin/env bash
# The CA rotation drill on the lab, through the real pulumi CLI: the lab stack from bare hosts, then its etcd,
# Kubernetes and front-proxy CAs rotated in three ups: pki.caGeneration 1 with pki.caRotation trust, then issue, then
# the key removed. Throughout, a client polls hello-world (2 replicas, a PodDisruptionBudget) through the edge VIP and
# another /readyz through the API VIP every 200 ms, with the admin kubeconfig the stack gave out before that up; no
# request may fail.
# - trust: every etcd member, master and node trusts both CAs, the old ones still sign, and every workload's pods
#   restarted on the bundle;
# - issue: etcd, the apiservers (through the VIP), the front-proxy client and every kubelet present certificates of
#   the new CAs, and the old admin certificate still works;
# - done: only the new CAs are trusted anywhere, the old admin certificate is refused and the old CA verifies nothing;
#   the cluster works on the new certificates, and the next up changes nothing.
# Prints the time of each up and of its steps. Run as root; it resets the lab in LAB_DIR and the lab stack's state.
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
LOG=$(mktemp /tmp/ca-rotation-test.XXXXXX)
WORK=$(mktemp -d /tmp/ca-rotation-test-work.XXXXXX)
STACK=lab
API_VIP=172.31.250.101
EDGE_VIP=172.31.250.102
read -r -a HOSTS <<<"$LAB_HOSTS"
# shellcheck source=lab-stack-test.sh
. "$ROOT/test/lab/lab-stack-test.sh"
# shellcheck source=workload-checks.sh
. "$ROOT/test/lab/workload-checks.sh"
# shellcheck source=drill-clients.sh
. "$ROOT/test/lab/drill-clients.sh"
k() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/admin.conf" --request-timeout=10s "$@"; }
# take_kubeconfig NAME: the stack's admin kubeconfig now, as the client files NAME.ca, NAME.crt and NAME.key, and
# as admin.conf for k.
take_kubeconfig() {
  (umask 077 && pulumi stack output kubeconfig --show-secrets --stack "$STACK" >"$WORK/admin.conf")
  for field in certificate-authority-data:ca client-certificate-data:crt client-key-data:key; do
    (umask 077 && sed -n "s/^ *${field%%:*}: //p" "$WORK/admin.conf" | base64 -d >"$WORK/$1.${field#*:}")
  done
}
# The /readyz poller's credentials: what the stack gave out before the up it polls through.
use_client() { for ext in ca crt key; do cp "$WORK/$1.$ext" "$WORK/poll.$ext.new" && mv -f "$WORK/poll.$ext.new" "$WORK/poll.$ext"; done; }
readyz() { curl -fsS --max-time 5 --cacert "$WORK/poll.ca" --cert "$WORK/poll.crt" --key "$WORK/poll.key" "https://$API_VIP:6443/readyz" 2>&1; }
# issuer ADDRESS:PORT: the common name of the CA that signed the certificate the TLS server there presents.
issuer() { openssl s_client -connect "$1" </dev/null 2>/dev/null | openssl x509 -noout -issuer -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'; }
# issuers PORT HOST...: "HOST=ISSUER" of each host's server on PORT.
issuers() {
  local port=$1 h
  shift
  for h in "$@"; do echo "$h=$(issuer "$(host_addr "$h"):$port")"; done | paste -sd' '
}
# file_issuer HOST FILE: the issuer of a certificate file on HOST.
file_issuer() { on "$1" openssl x509 -noout -issuer -nameopt multiline -in "$2" | sed -n 's/^ *commonName *= *//p'; }
# bundle_names HOST FILE: the common names of the CAs in a bundle on HOST, in order.
bundle_names() { on "$1" openssl crl2pkcs7 -nocrl -certfile "$2" | openssl pkcs7 -print_certs -noout | sed -n 's/^subject=.*CN *= *\([^,]*\).*/\1/p' | paste -sd,; }
# trusted: "HOST:FILE=CAS" of every trust bundle on the lab: etcd's on the members, the Kubernetes and front-proxy
# ones on the masters, the kubelets'.
trusted() {
  local h
  for h in "${HOSTS[@]}"; do
    echo "$h:etcd=$(bundle_names "$h" /etc/etcd/pki/ca.crt)"
    echo "$h:etcd-client=$(bundle_names "$h" /etc/kubernetes/pki/etcd-ca.crt)"
    echo "$h:kubernetes=$(bundle_names "$h" /etc/kubernetes/pki/ca.crt)"
    echo "$h:front-proxy=$(bundle_names "$h" /etc/kubernetes/pki/front-proxy-ca.crt)"
  done
  for h in "${NODES[@]}"; do echo "$h:kubelet=$(bundle_names "$h" /var/lib/kubelet/pki/ca.crt)"; done
}
# every_bundle_is CAS: every trust bundle holds exactly CAS for its kind (etcd, kubernetes, front-proxy).
every_bundle_is() {
  local etcd=$1 kube=$2 proxy=$3
  trusted >"$WORK/trusted"
  awk -F= -v etcd="$etcd" -v kube="$kube" -v proxy="$proxy" '
    { split($1, p, ":"); want = (p[2] ~ /^etcd/) ? etcd : (p[2] == "front-proxy") ? proxy : kube }
    $2 != want { print "unexpected: " $0; bad = 1 } END { exit bad }' "$WORK/trusted"
}
# pods_older_than TIME: the pods of a workload that mount a service-account token and were created before TIME, but
# for those already terminating (a rollout counts itself done before its old pods are gone).
pods_older_than() {
  k get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}|{.metadata.creationTimestamp}|{.metadata.ownerReferences[0].kind}|{.spec.automountServiceAccountToken}|{.metadata.deletionTimestamp}{"\n"}{end}' |
    awk -F'|' -v t="$1" '$3 != "" && $3 != "Node" && $4 != "false" && $5 == "" && $2 < t { print $1 }' | paste -sd' '
}
# certificate_errors SINCE: the lines of every pod's log and every lab host's journal since SINCE (UTC) that tell of a
# TLS peer its CAs do not verify, or that refused the certificate presented.
CERTIFICATE_ERROR='x509|unknown authority|bad certificate'
certificate_errors() {
  local ns pod h
  k get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' | while read -r ns pod; do
    k -n "$ns" logs "$pod" --all-containers --since-time="$1" 2>>"$LOG" | grep -iE "$CERTIFICATE_ERROR" | sed "s|^|$ns/$pod: |" || true
  done
  for h in "${HOSTS[@]}" "${NODES[@]}"; do
    on "$h" journalctl --no-pager -o cat --since "$(date -d "$1" '+%F %T')" | grep -iE "$CERTIFICATE_ERROR" | sed "s|^|$h: |" || true
  done
}
# rotate PHASE DESCRIPTION: one up of the rotation under both pollers, with its times.
rotate() {
  local phase=$1 t0
  shift
  start_hello_poller
  start_readyz_poller
  t0=$(now)
  if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/$phase.log" 2>&1; then ok "$*"; else bad "$*"; fi
  info "the $phase up took $(since "$t0")s"
  stop_readyz_poller
  stop_hello_poller
  cat "$WORK/$phase.log" >>"$LOG"
  info "$phase: etcd members: $(step_times "$WORK/$phase.log" 'etcd-lab[0-9]-member')"
  info "$phase: masters: $(step_times "$WORK/$phase.log" 'control-plane-lab[0-9]-master')"
  info "$phase: nodes: $(step_times "$WORK/$phase.log" 'node-bootstrap-lab-[a-z0-9]*-kubelet')"
  info "$phase: restart of the API clients: $(step_times "$WORK/$phase.log" 'ca-trust-restart')"
  head -n 5 "$WORK/hello-failures" "$WORK/readyz-failures" >>"$LOG"
  tail -n 3 "$WORK/hello-failures" "$WORK/readyz-failures" >>"$LOG"
  # For a failure's cause: the pods, and what Traefik logged meanwhile.
  if [[ -s $WORK/hello-failures ]]; then
    k get pods -A -o wide >>"$LOG" 2>&1 || true
    k -n traefik logs -l app=traefik --all-containers --prefix --since=10m --tail=200 >>"$LOG" 2>&1 || true
  fi
  verdict "hello-world answered through the edge VIP every 200 ms throughout ($(hello_counts))" test ! -s "$WORK/hello-failures"
  verdict "/readyz through the API VIP answered ok every 200 ms throughout ($(cat "$WORK/readyz-polls") polls, $(wc -l <"$WORK/readyz-failures") failed)" test ! -s "$WORK/readyz-failures"
}

OLD_ETCD=lab-etcd-ca OLD_KUBE=lab-kubernetes-ca OLD_PROXY=lab-front-proxy-ca
NEW_ETCD=$OLD_ETCD-gen1 NEW_KUBE=$OLD_KUBE-gen1 NEW_PROXY=$OLD_PROXY-gen1

[[ $(id -u) -eq 0 ]] || { bad "must run as root"; exit 1; }
info "log: $LOG"
KUBE_BIN=$(bash "$ROOT/scripts/build-kubernetes.sh" 2>>"$LOG")

# --- bare hosts and the lab stack on its first CAs ---------------------------------------------------------------
"$LABS/down.sh" --purge >>"$LOG" 2>&1
"$LABS/up.sh" >>"$LOG" 2>&1
pulumi stack rm --yes --force --preserve-config "$STACK" >>"$LOG" 2>&1 || true
"$LABS/stack-config.sh" >>"$LOG" 2>&1
t0=$(now)
check "pulumi up from bare hosts" up
info "first up took $(since "$t0")s"
take_kubeconfig gen0
use_client gen0
check "hello-world's 2 replicas are available" k -n cloud wait --for=condition=Available deployment tutum-hello-world --timeout=180s
verdict "the apiservers present a certificate of $OLD_KUBE ($(issuer "$API_VIP:6443"))" test "$(issuer "$API_VIP:6443")" = "$OLD_KUBE"

# --- 1. trust: both CAs everywhere, the old ones still sign ------------------------------------------------------
pulumi config set --path pki.caGeneration 1 --stack "$STACK" >>"$LOG"
pulumi config set --path pki.caRotation trust --stack "$STACK" >>"$LOG"
trust_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
rotate trust "up with pki.caRotation trust"
verdict "every etcd member, master and node trusts the old and the new CAs" every_bundle_is "$OLD_ETCD,$NEW_ETCD" "$OLD_KUBE,$NEW_KUBE" "$OLD_PROXY,$NEW_PROXY"
cat "$WORK/trusted" >>"$LOG"
verdict "the old CAs still sign: etcd ($(issuers 2379 "${HOSTS[@]}")) and the apiservers" test "$(issuers 2379 "${HOSTS[@]}")" = "lab1=$OLD_ETCD lab2=$OLD_ETCD lab3=$OLD_ETCD" -a "$(issuer "$API_VIP:6443")" = "$OLD_KUBE"
verdict "kube-root-ca.crt gives pods both Kubernetes CAs" test "$(k -n cloud get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' | grep -c 'BEGIN CERTIFICATE')" = 2
verdict "no pod of a workload that mounts a service-account token predates the trust up ($(pods_older_than "$trust_start"))" test -z "$(pods_older_than "$trust_start")"
take_kubeconfig trust
use_client trust

# --- 2. issue: the new CAs sign every certificate ----------------------------------------------------------------
pulumi config set --path pki.caRotation issue --stack "$STACK" >>"$LOG"
rotate issue "up with pki.caRotation issue"
verdict "every etcd member presents a certificate of $NEW_ETCD ($(issuers 2379 "${HOSTS[@]}"))" test "$(issuers 2379 "${HOSTS[@]}")" = "lab1=$NEW_ETCD lab2=$NEW_ETCD lab3=$NEW_ETCD"
verdict "every apiserver presents a certificate of $NEW_KUBE ($(issuers 6443 "${HOSTS[@]}"))" test "$(issuers 6443 "${HOSTS[@]}")" = "lab1=$NEW_KUBE lab2=$NEW_KUBE lab3=$NEW_KUBE"
verdict "every kubelet presents a certificate of $NEW_KUBE ($(issuers 10250 "${NODES[@]}"))" test "$(issuers 10250 "${NODES[@]}")" = "$(for n in "${NODES[@]}"; do echo "$n=$NEW_KUBE"; done | paste -sd' ')"
verdict "every front-proxy client certificate is of $NEW_PROXY" test "$(for h in "${HOSTS[@]}"; do file_issuer "$h" /etc/kubernetes/pki/front-proxy-client.crt; done | sort -u)" = "$NEW_PROXY"
verdict "the admin certificate of before the rotation still works" test "$(curl -sS --max-time 5 --cacert "$WORK/trust.ca" --cert "$WORK/gen0.crt" --key "$WORK/gen0.key" "https://$API_VIP:6443/readyz")" = ok
take_kubeconfig issue
use_client issue

# --- 3. done: only the new CAs -----------------------------------------------------------------------------------
pulumi config rm --path pki.caRotation --stack "$STACK" >>"$LOG"
rotate finish "up without pki.caRotation"
verdict "every etcd member, master and node trusts only the new CAs" every_bundle_is "$NEW_ETCD" "$NEW_KUBE" "$NEW_PROXY"
cat "$WORK/trusted" >>"$LOG"
verdict "kube-root-ca.crt gives pods the new CA alone" test "$(k -n cloud get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' | grep -c 'BEGIN CERTIFICATE')" = 1
verdict "the admin certificate of before the rotation is refused (HTTP $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/issue.ca" --cert "$WORK/gen0.crt" --key "$WORK/gen0.key" "https://$API_VIP:6443/readyz"))" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/issue.ca" --cert "$WORK/gen0.crt" --key "$WORK/gen0.key" "https://$API_VIP:6443/readyz")" = 401
if curl -sS --max-time 5 --cacert "$WORK/gen0.ca" --cert "$WORK/issue.crt" --key "$WORK/issue.key" "https://$API_VIP:6443/readyz" >>"$LOG" 2>&1; then bad "the old CA no longer verifies the apiservers"; else ok "the old CA no longer verifies the apiservers"; fi
take_kubeconfig finish
check "every node is Ready on its new certificates" k wait --for=condition=Ready node --all --timeout=120s
check "every Deployment is Available" k wait --for=condition=Available deployment --all -A --timeout=180s
check "every DaemonSet has all its pods ready" daemonsets_ready
check "the apiserver reaches a kubelet: logs of hello-world" k -n cloud logs deployment/tutum-hello-world --tail=1
certificate_errors "$trust_start" >"$WORK/certificate-errors"
head -n 20 "$WORK/certificate-errors" >>"$LOG"
verdict "no pod and no daemon on any host logged a certificate error since the trust up ($(wc -l <"$WORK/certificate-errors") lines)" test ! -s "$WORK/certificate-errors"
check "and then nothing changes" up --expect-no-changes
