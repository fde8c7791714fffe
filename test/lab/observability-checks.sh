# shellcheck shell=bash
# The monitoring and logging addons on the lab, for real: every scrape target up, the metrics and log UIs through
# Traefik's internal entry point, two faults (an etcd member stopped, an app crash-looping) whose alerts reach the lab's
# webhook receiver and resolve once mended, and a line an app writes found in the log store by pod and namespace.
# Sourced by control-plane.test.sh, which defines k, on, LOG and WORK.

# The expected targets, "JOB COUNT": every one must be up.
EXPECTED_TARGETS=(
  "apiserver 3" "kubelet 4" "cadvisor 4" "kubelet-resource 4" "kube-proxy 4" "node-exporter 4" "coredns 2" "traefik 2"
  "etcd 3" "controller-manager 3" "scheduler 3" "haproxy 3" "lb-node-exporter 3"
  "state-metrics 1" "victoria-metrics 1" "vmalert 1" "alertmanager 1" "pods 1"
)

# svc_get NAMESPACE SERVICE:PORT PATH: a GET of the Service's ClusterIP from a node (the masters are not in the pod
# network, so the apiserver's service proxy cannot reach a pod).
svc_get() {
  local ip
  ip=$(k -n "$1" get service "${2%:*}" -o jsonpath='{.spec.clusterIP}' 2>>"$LOG") || return 1
  # ssh joins its arguments into one command line: the URL is quoted for that shell.
  on lab-w1 "curl -fsS --max-time 10 $(printf %q "http://$ip:${2#*:}$3")"
}
uri() { jq -rn --arg v "$1" '$v | @uri'; }
# vm_query EXPR: the instant query's result, as "LABELS VALUE" lines.
vm_query() {
  svc_get monitoring victoria-metrics:8428 "/api/v1/query?query=$(uri "$1")" |
    jq -r '.data.result[] | "\(.metric | to_entries | map("\(.key)=\(.value)") | join(",")) \(.value[1])"'
}
# received: every alert the webhook receiver got, one "STATUS ALERTNAME" a line, in order.
received() { svc_get alert-receiver alert-receiver:8080 /alerts | jq -r '.[] | "\(.status) \(.alertname)"'; }

# An annotated pod opts in to the "pods" job: node_exporter's image on the pod network, nothing else.
opted_in_pod() {
  k -n monitoring run opted-in --image=quay.io/prometheus/node-exporter:v1.12.1 --restart=Never \
    --annotations=prometheus.io/scrape=true --annotations=prometheus.io/port=9100 >/dev/null &&
    k -n monitoring wait --for=condition=Ready pod/opted-in --timeout=120s
}
# targets_up: VictoriaMetrics' targets, by job, are exactly the expected ones, each up.
targets_up() {
  local line job count
  svc_get monitoring victoria-metrics:8428 /api/v1/targets >"$WORK/targets.json" || return 1
  jq -r '.data.activeTargets[] | "\(.labels.job) \(.health)"' "$WORK/targets.json" | sort | uniq -c | awk '{ print $2, $3, $1 }' >"$WORK/targets"
  cat "$WORK/targets"
  for line in "${EXPECTED_TARGETS[@]}"; do
    read -r job count <<<"$line"
    grep -qx "$job up $count" "$WORK/targets" || { echo "job $job: expected $count up"; return 1; }
  done
  ! grep -v ' up ' "$WORK/targets"
}
# node_and_pod_usage: seed 000's monitoring: each node's and each monitoring pod's CPU and memory are there.
node_and_pod_usage() {
  [[ $(vm_query 'node_memory_working_set_bytes' | wc -l) -eq 4 ]] &&
    [[ $(vm_query 'rate(node_cpu_usage_seconds_total[1m])' | wc -l) -eq 4 ]] &&
    [[ $(vm_query 'sum by (pod) (container_memory_working_set_bytes{namespace="monitoring"})' | wc -l) -ge 3 ]]
}
# internal_entry_point HOST PATH: a GET through Traefik's internal entry point (port 9000), from a node.
internal_entry_point() {
  local traefik_ip
  traefik_ip=$(k -n traefik get pods -l app=traefik -o jsonpath='{.items[0].status.podIP}' 2>>"$LOG") || return 1
  on lab-w1 "curl -fsS --max-time 5 -H $(printf %q "Host: $1") $(printf %q "http://$traefik_ip:9000$2")"
}
# metrics_ui: vmui and its query API answer on the metrics uiHost.
metrics_ui() {
  internal_entry_point metrics.local /vmui/ >"$WORK/vmui.html" && grep -q '<title>' "$WORK/vmui.html" &&
    internal_entry_point metrics.local '/api/v1/query?query=up' >"$WORK/vmui.json" && grep -q '"status":"success"' "$WORK/vmui.json"
}
# logs_ui: VictoriaLogs' UI and its LogsQL API answer on the logs uiHost.
logs_ui() {
  internal_entry_point logs.local /select/vmui/ >"$WORK/logs-ui.html" && grep -q '<title>' "$WORK/logs-ui.html" &&
    internal_entry_point logs.local '/select/logsql/hits?query=*&step=1h' >"$WORK/logs-ui.json" && grep -q '"hits"' "$WORK/logs-ui.json"
}
# resource_usage NAMESPACE: what the namespace's pods use now (INFO): CPU over the last 2 minutes, memory.
resource_usage() {
  local cpu mem
  cpu=$(vm_query "sum(rate(container_cpu_usage_seconds_total{job=\"kubelet-resource\",namespace=\"$1\"}[2m]))" | awk '{ printf "%.3f", $NF }')
  mem=$(vm_query "sum(container_memory_working_set_bytes{job=\"kubelet-resource\",namespace=\"$1\"})" | awk '{ printf "%.0f", $NF / 1048576 }')
  echo "${cpu} cores, ${mem} MiB"
}

# The crash-looping app: python exits at once; mended, it serves.
crasher() {
  k create namespace monitoring-drill >/dev/null &&
    k -n monitoring-drill create deployment crasher --image=docker.io/library/flaskapp:0.0.2 -- python -c 'raise SystemExit(1)' >/dev/null
}
mend_crasher() { k -n monitoring-drill patch deployment crasher --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["python","-m","http.server","8000"]}]' >/dev/null; }
# alert_seen STATUS ALERTNAME: the receiver got that notification.
alert_seen() { received | grep -qx "$1 $2"; }

# A pod that writes one line to stdout, then waits.
LOG_LINE="onprem-k8s log check $RANDOM$RANDOM"
log_writer() {
  k -n monitoring-drill run log-writer --image=docker.io/library/flaskapp:0.0.2 --restart=Never --command -- \
    python -c "import time; print('$LOG_LINE', flush=True); time.sleep(3600)" >/dev/null &&
    k -n monitoring-drill wait --for=condition=Ready pod/log-writer --timeout=120s
}
# line_in_log_store: VictoriaLogs finds the line by the pod's name and namespace.
line_in_log_store() {
  local query="kubernetes.pod_namespace:=monitoring-drill kubernetes.pod_name:=log-writer \"$LOG_LINE\""
  svc_get logging victoria-logs:9428 "/select/logsql/query?query=$(uri "$query")" >"$WORK/log-lines" &&
    [[ $(jq -r '._msg' "$WORK/log-lines") == "$LOG_LINE" ]]
}
# alert_labelled STATUS ALERTNAME LABEL=VALUE...: the receiver got that notification with those labels.
alert_labelled() {
  # shellcheck disable=SC2016 # $s and $n are jq's variables
  local status=$1 name=$2 filter='.status == $s and .alertname == $n' pair
  shift 2
  for pair in "$@"; do filter+=" and .labels[\"${pair%%=*}\"] == \"${pair#*=}\""; done
  svc_get alert-receiver alert-receiver:8080 /alerts | jq -e --arg s "$status" --arg n "$name" "any(.[]; $filter)" >/dev/null
}

# ui_addons_planned: the preview's changes are exactly creates, among them the Dashboard's and Grafana's main objects.
ui_addons_planned() {
  local line
  for line in \
    "create kubernetes:apps/v1:Deployment cluster-dashboard/kubernetes-dashboard/kubernetes-dashboard" \
    "create kubernetes:core/v1:Secret cluster-dashboard/kubernetes-dashboard/dashboard-admin-token" \
    "create kubernetes:core/v1:Secret cluster-dashboard/kubernetes-dashboard/dashboard-viewer-token" \
    "create kubernetes:traefik.io/v1alpha1:IngressRoute cluster-dashboard/kubernetes-dashboard/kubernetes-dashboard" \
    "create kubernetes:apps/v1:Deployment cluster-grafana/monitoring/grafana" \
    "create kubernetes:core/v1:ConfigMap cluster-grafana/monitoring/grafana-datasources"; do
    grep -qxF "$line" "$WORK/ui-addons" || { echo "missing: $line"; return 1; }
  done
  ! grep -v '^create ' "$WORK/ui-addons"
}
