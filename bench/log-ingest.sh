#!/usr/bin/env bash
# Measures the log ingest rate that vlagent and VictoriaLogs sustain on this machine: a pod on lab-w1 writes LINES
# lines of 100 bytes to stdout as fast as Python can, and the rate is LINES over the time from the container's start to
# the moment VictoriaLogs counts all of them for that pod. Prints each run, the median, and the CPU seconds and peak RSS
# of lab-w1's vlagent and of VictoriaLogs, read from /proc on their nodes (the lab's cgroup accounting, which the
# kubelet reports, undercounts them).
# Usage: bash bench/log-ingest.sh [RUNS (3)] [LINES (200000)]. It runs on the lab stack's cluster, with its logging and
# monitoring addons: run `bash scripts/main.sh` first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
LINES=${2:-200000}
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=scripts/lab/lib.sh
. "$ROOT/scripts/lab/lib.sh"
KUBE_BIN=$(bash "$ROOT/scripts/build-kubernetes.sh" 2>/dev/null)
[[ -s $LAB_DIR/admin.kubeconfig ]] || { echo "log-ingest: no lab cluster ($LAB_DIR/admin.kubeconfig): run bash scripts/main.sh first" >&2; exit 1; }
k() { "$KUBE_BIN/kubectl" --kubeconfig "$LAB_DIR/admin.kubeconfig" --request-timeout=20s "$@"; }
on() { bash "$ROOT/scripts/lab/ssh.sh" "$@" </dev/null; }
# get SERVICE-IP:PORT PATH-AND-QUERY: from lab-w1, which reaches ClusterIPs.
get() { on lab-w1 "curl -fsS --max-time 20 $(printf %q "http://$1$2")"; }
uri() { jq -rn --arg v "$1" '$v | @uri'; }
logs=$(k -n logging get service victoria-logs -o jsonpath='{.spec.clusterIP}'):9428
store_node=$(k -n logging get pods -l app=victoria-logs -o jsonpath='{.items[0].spec.nodeName}')
count_of() { get "$logs" "/select/logsql/query?query=$(uri "kubernetes.pod_namespace:=log-bench kubernetes.pod_name:=$1 | stats count() n")" | jq -r '.n // 0'; }
# proc NODE COMM: "CPU-SECONDS PEAK-RSS-KIB" of the process on the node whose name is COMM (at most 15 characters).
proc() {
  on "$1" "p=\$(pgrep -x $2) && awk '{ printf \"%.2f \", (\$14 + \$15) / 100 }' /proc/\$p/stat && awk '/VmHWM/ { print \$2 }' /proc/\$p/status"
}

# A previous run's namespace may still be going.
k wait --for=delete namespace/log-bench --timeout=180s >/dev/null 2>&1 || true
k create namespace log-bench >/dev/null
trap 'k delete namespace log-bench --wait=false >/dev/null 2>&1 || true' EXIT
read -r agent_cpu0 _ < <(proc lab-w1 vlagent-prod)
read -r store_cpu0 _ < <(proc "$store_node" victoria-logs-p)
rates=()
for ((run = 1; run <= RUNS; run++)); do
  pod=writer-$run
  k -n log-bench run "$pod" --image=docker.io/library/flaskapp:0.0.2 --restart=Never --overrides='{"spec":{"nodeName":"lab-w1"}}' --command -- \
    python -c "import sys; line = 'x' * 99 + '\n'; sys.stdout.writelines(line for _ in range($LINES)); sys.stdout.flush()" >/dev/null
  k -n log-bench wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" --timeout=120s >/dev/null
  started=$(date -d "$(k -n log-bench get pod "$pod" -o jsonpath='{.status.containerStatuses[0].state.terminated.startedAt}')" +%s)
  n=0
  for ((i = 0; i < 600 && n < LINES; i++)); do
    n=$(count_of "$pod")
    ((n < LINES)) && sleep 0.5
  done
  done_at=$(date +%s.%N)
  ((n >= LINES)) || { echo "log-ingest: run $run: VictoriaLogs counted $n of $LINES lines after 300 s" >&2; exit 1; }
  rate=$(awk -v l="$LINES" -v a="$started" -v b="$done_at" 'BEGIN { printf "%.0f", l / (b - a) }')
  rates+=("$rate")
  echo "run $run: $LINES lines in $(awk -v a="$started" -v b="$done_at" 'BEGIN { printf "%.1f", b - a }') s, $rate lines/s"
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "median: $median lines/s ($((median * 100 / 1024)) KiB/s) over $RUNS runs of $LINES lines"
read -r agent_cpu agent_rss < <(proc lab-w1 vlagent-prod)
read -r store_cpu store_rss < <(proc "$store_node" victoria-logs-p)
echo "vlagent on lab-w1: $(awk -v a="$agent_cpu0" -v b="$agent_cpu" 'BEGIN { printf "%.1f", b - a }') CPU seconds for the runs, peak RSS $((agent_rss / 1024)) MiB"
echo "VictoriaLogs on $store_node: $(awk -v a="$store_cpu0" -v b="$store_cpu" 'BEGIN { printf "%.1f", b - a }') CPU seconds for the runs, peak RSS $((store_rss / 1024)) MiB"
