#!/usr/bin/env bash
# A throwaway Kubernetes control plane on 127.0.0.1 for tests: etcd (plain http), a real kube-apiserver (TLS,
# RBAC), kube-controller-manager and kube-scheduler, and kwok with fake nodes so Deployments become Ready.
#
#   test/support/local-apiserver.sh start DIR   # DIR must not exist (or be empty); prints the env lines below
#   eval "$(test/support/local-apiserver.sh env DIR)"   # KUBECONFIG=DIR/kubeconfig, PATH gets kubectl, ...
#   test/support/local-apiserver.sh stop DIR    # kills exactly the PIDs recorded in DIR, then removes DIR
#
# Binaries: KUBE_BIN (a directory with kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok;
# default: the output of scripts/build-kubernetes.sh, which is cached) and ETCD (an etcd binary; default: etcd
# from the newest $ONPREM_CACHE/etcd-*/etcd-*.tar.gz, else built from tools/etcd into DIR).
# KWOK_STAGES: kwok's Stage config (default: KUBE_BIN/../share/kwok/stages-fast.yaml, from build-kubernetes.sh).
# LOCAL_APISERVER_NODES: number of kwok fake nodes (default 1; 0 runs neither kwok nor fake nodes).
# LOCAL_APISERVER_MINIMAL=1: etcd and kube-apiserver only (no controller-manager, scheduler or kwok).
# Everything listens on 127.0.0.1 only, on free ports picked at start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MARKER=local-apiserver.env

usage() {
  echo "usage: $0 start|stop|env DIR" >&2
  exit 2
}
log() { echo "local-apiserver: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# Sets PORT to a port in 20000-32767 (below Linux's ephemeral range) on which nothing listens and which this
# start has not handed out yet. Not called in $(...), so USED_PORTS keeps what was handed out.
USED_PORTS=" "
PORT=
free_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    PORT=$((20000 + RANDOM % 12768))
    [[ $USED_PORTS == *" $PORT "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      USED_PORTS+="$PORT "
      return
    fi
  done
  die "no free port found"
}

find_etcd() {
  local dir="$1" tarball
  if [[ -n ${ETCD:-} ]]; then
    echo "$ETCD"
    return
  fi
  local cache="${ONPREM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/onprem-k8s}"
  # shellcheck disable=SC2012 # cache file names are ours, without odd characters
  tarball="$(ls -t "$cache"/etcd-*/etcd-*-linux-amd64.tar.gz 2>/dev/null | head -n1 || true)"
  mkdir -p "$dir/bin"
  if [[ -n $tarball ]]; then
    tar -xzf "$tarball" -C "$dir/bin" --wildcards --no-anchored --strip-components=1 '*/etcd'
  else
    log "no etcd tarball in $cache: building etcd from tools/etcd"
    (cd "$ROOT/tools/etcd" && GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0 go build -trimpath -o "$dir/bin/" ./cmd/etcd)
  fi
  echo "$dir/bin/etcd"
}

# cert NAME SUBJECT EXT: an ECDSA key and a certificate signed by the local CA.
cert() {
  local pki="$1" name="$2" subj="$3" ext="$4"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/$name.key" \
    -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  local pki="$1"
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" \
    -days 2 -subj "/CN=local-apiserver-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  cert "$pki" apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert "$pki" admin "/O=system:masters/CN=local-admin" "$client"
  cert "$pki" controller-manager "/CN=system:kube-controller-manager" "$client"
  cert "$pki" scheduler "/CN=system:kube-scheduler" "$client"
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$pki/sa.key"
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
}

# kubeconfig FILE URL CERT_NAME: a kubeconfig with embedded CA and client certificate.
kubeconfig() {
  local file="$1" url="$2" name="$3" pki="$4"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $url
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$name.crt")
    client-key-data: $(base64 -w0 <"$pki/$name.key")
contexts:
- name: local
  context:
    cluster: local
    user: $name
current-context: local
EOF
  chmod 600 "$file"
}

# launch DIR NAME BINARY ARGS...: runs one component in the background, logging to DIR/logs/NAME.log.
launch() {
  local dir="$1" name="$2"
  shift 2
  "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
  echo "$!" >"$dir/$name.pid"
}

alive() { [[ -f "$1/$2.pid" ]] && kill -0 "$(cat "$1/$2.pid")" 2>/dev/null; }

# wait_for DIR NAME SECONDS CMD...: waits until CMD succeeds while the component NAME keeps running.
wait_for() {
  local dir="$1" name="$2" seconds="$3" i
  shift 3
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$dir" "$name" || {
      tail -n 30 "$dir/logs/$name.log" >&2
      die "$name exited; log: $dir/logs/$name.log"
    }
    sleep 0.2
  done
  tail -n 30 "$dir/logs/$name.log" >&2
  die "$name not ready after ${seconds}s; log: $dir/logs/$name.log"
}

fake_node() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
}

start() {
  local dir="$1" bin etcd port_etcd port_peer port_api port_kcm port_sched port_kwok url nodes stages i
  if [[ -e $dir ]] && [[ -n "$(ls -A "$dir")" ]]; then
    die "$dir exists and is not empty"
  fi
  mkdir -p "$dir/logs"
  dir="$(cd "$dir" && pwd)"
  # Anything that fails from here on stops what was started and removes DIR.
  START_DIR="$dir"
  trap 'rc=$?; if ((rc != 0)); then log "start failed; stopping"; stop "$START_DIR" || true; fi' EXIT
  touch "$dir/$MARKER"
  bin="${KUBE_BIN:-}"
  if [[ -z $bin ]]; then
    bin="$("$ROOT/scripts/build-kubernetes.sh")"
  fi
  for i in kube-apiserver kubectl; do
    [[ -x $bin/$i ]] || die "no $i in $bin (set KUBE_BIN)"
  done
  etcd="$(find_etcd "$dir")"
  nodes="${LOCAL_APISERVER_NODES:-1}"
  [[ ${LOCAL_APISERVER_MINIMAL:-0} == 1 ]] && nodes=0
  free_port
  port_etcd=$PORT
  free_port
  port_peer=$PORT
  free_port
  port_api=$PORT
  free_port
  port_kcm=$PORT
  free_port
  port_sched=$PORT
  free_port
  port_kwok=$PORT
  url="https://127.0.0.1:$port_api"
  make_pki "$dir/pki"
  kubeconfig "$dir/kubeconfig" "$url" admin "$dir/pki"
  kubeconfig "$dir/controller-manager.kubeconfig" "$url" controller-manager "$dir/pki"
  kubeconfig "$dir/scheduler.kubeconfig" "$url" scheduler "$dir/pki"

  launch "$dir" etcd "$etcd" --name local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$port_etcd" --advertise-client-urls "http://127.0.0.1:$port_etcd" \
    --listen-peer-urls "http://127.0.0.1:$port_peer" --initial-advertise-peer-urls "http://127.0.0.1:$port_peer" \
    --initial-cluster "local=http://127.0.0.1:$port_peer" --unsafe-no-fsync --log-level warn
  wait_for "$dir" etcd 30 curl -sf "http://127.0.0.1:$port_etcd/health"

  launch "$dir" kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$port_etcd" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port_api" \
    --cert-dir "$dir/pki/apiserver" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true \
    --profiling=false
  wait_for "$dir" kube-apiserver 120 curl -sf --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
    --key "$dir/pki/admin.key" "$url/readyz"

  if [[ ${LOCAL_APISERVER_MINIMAL:-0} != 1 ]]; then
    launch "$dir" kube-controller-manager "$bin/kube-controller-manager" \
      --kubeconfig "$dir/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
      --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$port_kcm" --cert-dir "$dir/pki/controller-manager" \
      --use-service-account-credentials=true --service-account-private-key-file "$dir/pki/sa.key" \
      --root-ca-file "$dir/pki/ca.crt" \
      --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" \
      --service-cluster-ip-range 10.96.0.0/16 --leader-elect=false --profiling=false
    launch "$dir" kube-scheduler "$bin/kube-scheduler" \
      --kubeconfig "$dir/scheduler.kubeconfig" \
      --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
      --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$port_sched" --cert-dir "$dir/pki/scheduler" \
      --leader-elect=false --profiling=false
    wait_for "$dir" kube-controller-manager 60 curl -skf "https://127.0.0.1:$port_kcm/healthz"
    wait_for "$dir" kube-scheduler 60 curl -skf "https://127.0.0.1:$port_sched/healthz"
    # Pods can be created in "default" once the service-account controller made its ServiceAccount.
    wait_for "$dir" kube-controller-manager 60 "$bin/kubectl" --kubeconfig "$dir/kubeconfig" get serviceaccount default
  fi

  if ((nodes > 0)); then
    [[ -x $bin/kwok ]] || die "no kwok in $bin (set KUBE_BIN, or LOCAL_APISERVER_NODES=0)"
    stages="${KWOK_STAGES:-$bin/../share/kwok/stages-fast.yaml}"
    [[ -f $stages ]] || die "no kwok stages at $stages (set KWOK_STAGES)"
    # Fake nodes have IP 127.0.0.1, so nothing that dials a "kubelet" leaves this machine.
    launch "$dir" kwok "$bin/kwok" --kubeconfig "$dir/kubeconfig" --config "$stages" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
      --node-ip 127.0.0.1 --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 \
      --server-address "127.0.0.1:$port_kwok"
    for ((i = 0; i < nodes; i++)); do
      fake_node "kwok-node-$i" | "$bin/kubectl" --kubeconfig "$dir/kubeconfig" apply -f - >/dev/null
    done
    wait_for "$dir" kwok 60 "$bin/kubectl" --kubeconfig "$dir/kubeconfig" wait --for=condition=Ready node --all --timeout=1s
  fi

  cat >"$dir/$MARKER" <<EOF
export KUBECONFIG=$dir/kubeconfig
export LOCAL_APISERVER_URL=$url
export LOCAL_APISERVER_CA=$dir/pki/ca.crt
export LOCAL_APISERVER_ETCD=http://127.0.0.1:$port_etcd
export KUBE_BIN=$bin
export PATH=$bin:\$PATH
EOF
  trap - EXIT
  log "ready at $url (kubeconfig $dir/kubeconfig; logs in $dir/logs)"
  cat "$dir/$MARKER"
}

# running PID: true while PID exists and is not a zombie (an exited child of a parent that did not reap it yet).
running() { [[ -r /proc/$1/stat ]] && [[ "$(cut -d' ' -f3 <"/proc/$1/stat" 2>/dev/null)" != Z ]]; }

# wait_gone SECONDS PID...: true once none of the PIDs is running; otherwise sets LEFT to those still running.
LEFT=()
wait_gone() {
  local seconds="$1" i pid
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    LEFT=()
    for pid in "$@"; do
      if running "$pid"; then LEFT+=("$pid"); fi
    done
    ((${#LEFT[@]} == 0)) && return 0
    sleep 0.1
  done
  return 1
}

# stop_group DIR NAME...: SIGTERM to the recorded PIDs of these components, SIGKILL to any still running after 15 s.
# Only PIDs whose command line still names DIR are touched (a recycled PID is left alone).
stop_group() {
  local dir="$1" name pid
  shift
  local -a pids=()
  for name in "$@"; do
    [[ -f $dir/$name.pid ]] || continue
    pid="$(cat "$dir/$name.pid")"
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/"; then
      pids+=("$pid")
    fi
  done
  ((${#pids[@]} > 0)) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait_gone 15 "${pids[@]}" && return 0
  log "still running after SIGTERM, sending SIGKILL: ${LEFT[*]}"
  kill -KILL "${LEFT[@]}" 2>/dev/null || true
  wait_gone 5 "${LEFT[@]}" || die "could not stop: ${LEFT[*]}"
}

# Kills exactly the PIDs recorded in DIR whose command line still names DIR (a recycled PID is left alone).
stop() {
  local dir="$1"
  [[ -d $dir ]] || return 0
  [[ -f $dir/$MARKER ]] || die "$dir was not made by $0 (no $MARKER): not touching it"
  dir="$(cd "$dir" && pwd)"
  # Clients first, etcd last: kube-apiserver's graceful shutdown hangs while it cannot reach etcd.
  stop_group "$dir" kwok kube-scheduler kube-controller-manager
  stop_group "$dir" kube-apiserver
  stop_group "$dir" etcd
  rm -rf "$dir"
}

env_of() {
  local dir="$1"
  [[ -f $dir/$MARKER ]] || die "no local apiserver in $dir"
  cat "$dir/$MARKER"
}

(($# == 2)) || usage
case "$1" in
start) start "$2" ;;
stop) stop "$2" ;;
env) env_of "$2" ;;
*) usage ;;
esac
