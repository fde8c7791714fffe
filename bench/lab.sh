#!/usr/bin/env bash
# Benchmarks the lab: lab setup (cold and warm), `pulumi up` from bare hosts to the whole lab stack (etcd, VIPs,
# control plane, real nodes, addons, seed apps) with the second each phase was done, the second every seed app
# answered through the edge VIP, a no-op up and a preview, and each real node's memory after the up. Prints the median
# wall time and peak RSS of each over RUNS runs.
# Usage: bash bench/lab.sh [RUNS (3)] [COLD_RUNS (1)] [NODES (4)]. NODES real nodes, a worker and an edge node in turn
# (the lab stack's four, then more of each), with the stack's nodeBatchSize. It runs on a lab of its own (its own
# directory, bridge, network and stack `bench`, derived from the lab stack), so it never disturbs the lab or the lab stack.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LABS=$ROOT/scripts/lab
# Host names differ from the lab's too: nspawn names its network interfaces after them.
RUNS=${1:-3}
COLD_RUNS=${2:-1}
NODES=${3:-4}
nodes=()
for ((i = 1; i <= (NODES + 1) / 2; i++)); do
  nodes+=("bench-w$i")
  ((${#nodes[@]} < NODES)) && nodes+=("bench-e$i")
done
export LAB_DIR=/var/lib/onprem-k8s-bench LAB_BRIDGE=br-bench LAB_BRIDGE_ADDR=172.31.251.1/24 LAB_HOSTS="bench1 bench2 bench3" LAB_STACK=bench
export LAB_NODES="${nodes[*]}"
# shellcheck source=scripts/lab/lib.sh
. "$LABS/lib.sh"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=scripts/lab/phases.sh
. "$LABS/phases.sh"
# shellcheck source=bench/derived-stack.sh
. "$ROOT/bench/derived-stack.sh"
cd "$ROOT"
STACK=bench
EDGE_VIP=172.31.251.102
derived_lab_config 172.31.251 bench | sed 's/lab-\([we][0-9]\)/bench-\1/g' >Pulumi.bench.yaml
# NODES real nodes: the lab's four hosts' lines, repeated or cut, named and addressed after LAB_NODES.
# node_line NAME: the config line of node NAME, from the lab's first worker (the storage=ssd one), its second worker or
# its first edge node.
node_line() {
  local template=bench-e1
  [[ $1 == bench-w1 ]] && template=bench-w1
  [[ $1 == bench-w* && $1 != bench-w1 ]] && template=bench-w2
  grep -m1 "name: $template," Pulumi.bench.yaml | sed "s/$template/$1/; s/172\.31\.251\.[23][0-9]/$(host_addr "$1")/"
}
for n in "${nodes[@]}"; do node_line "$n"; done | with_nodes Pulumi.bench.yaml
cleanup() {
  pulumi stack rm --yes --force "$STACK" >/dev/null 2>&1 || true
  rm -f Pulumi.bench.yaml
  "$LABS/down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
declare -A times rss
phases=() memory=()
# retry_answer: hello-world (seed 000) answers through Traefik behind the edge VIP (the up awaited every Deployment).
retry_answer() {
  local i
  for ((i = 0; i < 300; i++)); do
    curl -fsS --max-time 2 -H 'Host: tutum-hello-world.local' "http://$EDGE_VIP/" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
# node_memory: each node host's memory on this machine (its cgroup: containerd, kubelet, kube-proxy, the pods): the
# processes' RSS, and the page cache charged to it (images, the host's files), which the kernel may reclaim.
node_memory() {
  local n
  for n in "${nodes[@]}"; do
    printf '%s %s; ' "$n" "$(awk '$1 == "total_rss" { r = $2 } $1 == "total_cache" { c = $2 } END { printf "RSS %.0f MiB, cache %.0f MiB", r / 1048576, c / 1048576 }' "/sys/fs/cgroup/memory/$LAB_CGROUP/$n/memory.stat")"
  done
}

# measure NAME CMD...: one run; wall seconds and peak RSS (KiB, the largest process of the tree) appended
measure() {
  local name=$1 out
  shift
  out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>&1 || { echo "bench: $name failed: $*" >&2; exit 1; }
  read -r t m <"$out"
  rm -f "$out"
  times[$name]+="$t "
  rss[$name]+="$m "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for ((i = 0; i < COLD_RUNS; i++)); do
  "$LABS/down.sh" --purge-base >/dev/null 2>&1
  measure "lab setup, cold (debootstrap + mirror + boot)" "$LABS/up.sh"
done
for ((i = 0; i < RUNS; i++)); do
  "$LABS/down.sh" --purge >/dev/null 2>&1
  measure "lab setup, warm (hosts from the cached base)" "$LABS/up.sh"
  fresh_stack
  start=$(date +%s.%N)
  # shellcheck disable=SC2016 # expanded by the inner shell
  measure "pulumi up, bare hosts to the whole lab stack" bash -c '. "$0"; set -o pipefail; pulumi up --yes --skip-preview --stack bench --non-interactive 2>&1 | stamp >"$1"' "$LABS/phases.sh" "$LAB_DIR/up.log"
  answered=$(retry_answer && awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  phases+=("$(phase_report "$LAB_DIR/up.log" "$start"), hello-world answering through the edge VIP at ${answered}s")
  memory+=("$(node_memory)")
  measure "pulumi up, no changes" pulumi up --yes --skip-preview --stack "$STACK" --non-interactive --expect-no-changes
  measure "pulumi preview, no changes" pulumi preview --stack "$STACK" --non-interactive --expect-no-changes
done
printf '%-52s %8s %14s %s\n' "step" "median s" "peak RSS MiB" "runs (s)"
for name in "lab setup, cold (debootstrap + mirror + boot)" "lab setup, warm (hosts from the cached base)" "pulumi up, bare hosts to the whole lab stack" "pulumi up, no changes" "pulumi preview, no changes"; do
  [[ -n ${times[$name]:-} ]] || continue
  printf '%-52s %8s %14s %s\n' "$name" "$(median <<<"${times[$name]}")" "$(median <<<"${rss[$name]}" | awk '{printf "%.0f", $1 / 1024}')" "${times[$name]}"
done
echo "phases of each up from bare hosts ($NODES real nodes, batches of $(sed -n 's/^ *nodeBatchSize: //p' Pulumi.bench.yaml)):"
printf '  %s\n' "${phases[@]}"
echo "memory of each real node after each up:"
printf '  %s\n' "${memory[@]}"
