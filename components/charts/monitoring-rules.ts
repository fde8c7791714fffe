/**
 * The alert rules vmalert evaluates (Prometheus' rule format, written as JSON, which is YAML). The object rules read
 * the project's state-metrics, which exports kube-state-metrics' metrics under their names, so they are
 * kube-prometheus' expressions (docs/monitoring.md lists each). Pure functions.
 */
import type { IssuedCertificate } from "../../spec/monitoring";

interface Rule {
  readonly alert: string;
  readonly expr: string;
  /** How long the expression must hold before the alert fires. */
  readonly for?: string;
  readonly labels: { readonly severity: "critical" | "warning" };
  readonly annotations: { readonly summary: string };
}

const rule = (alert: string, expr: string, forTime: string | undefined, severity: Rule["labels"]["severity"], summary: string): Rule => ({
  alert,
  expr,
  ...(forTime === undefined ? {} : { for: forTime }),
  labels: { severity },
  annotations: { summary },
});

/** The rules that do not depend on the stack: targets, etcd, the apiserver, nodes, pods and VIPs. */
export const ALERT_RULE_GROUPS: readonly { name: string; rules: readonly Rule[] }[] = [
  {
    name: "targets",
    rules: [rule("TargetDown", "up == 0", "2m", "warning", "{{ $labels.job }} target {{ $labels.instance }} does not answer its scrape")],
  },
  {
    name: "etcd",
    rules: [
      rule("EtcdMemberDown", 'up{job="etcd"} == 0', "30s", "critical", "etcd member {{ $labels.host }} does not answer"),
      rule("EtcdNoLeader", "etcd_server_has_leader == 0", "30s", "critical", "etcd member {{ $labels.host }} has no leader"),
      rule(
        "EtcdFrequentLeaderChanges",
        "increase(etcd_server_leader_changes_seen_total[15m]) >= 4",
        undefined,
        "warning",
        "etcd member {{ $labels.host }} saw {{ $value }} leader changes in 15 minutes",
      ),
    ],
  },
  {
    name: "apiserver",
    rules: [
      rule(
        "ApiserverErrorRate",
        'sum by (instance) (rate(apiserver_request_total{code=~"5.."}[5m])) / sum by (instance) (rate(apiserver_request_total[5m])) > 0.05',
        "5m",
        "critical",
        "apiserver {{ $labels.instance }} answers {{ $value | humanizePercentage }} of its requests with a 5xx",
      ),
      rule(
        "ApiserverLatency",
        'histogram_quantile(0.99, sum by (le, instance) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m]))) > 1',
        "10m",
        "warning",
        "apiserver {{ $labels.instance }}'s 99th percentile request latency is {{ $value }} s",
      ),
    ],
  },
  {
    name: "nodes",
    rules: [
      rule("NodeNotReady", 'kube_node_status_condition{condition="Ready",status="true"} == 0', "1m", "critical", "node {{ $labels.node }} is not Ready"),
      rule("NodeDiskPressure", 'kube_node_status_condition{condition="DiskPressure",status="true"} == 1', "1m", "warning", "node {{ $labels.node }} is under disk pressure"),
      rule("NodeMemoryPressure", 'kube_node_status_condition{condition="MemoryPressure",status="true"} == 1', "1m", "warning", "node {{ $labels.node }} is under memory pressure"),
      // Hosts outside Kubernetes (the load balancers) have no conditions: node_exporter tells their disks.
      rule(
        "HostFilesystemAlmostFull",
        'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"} < 0.10',
        "5m",
        "warning",
        "{{ $labels.node }}{{ $labels.host }}'s root filesystem has less than 10% free",
      ),
    ],
  },
  {
    name: "workloads",
    rules: [
      // The container waits in CrashLoopBackOff most of the time between its short runs.
      rule(
        "PodCrashLooping",
        'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[2m]) >= 1',
        "1m",
        "warning",
        "container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping",
      ),
      rule(
        "DeploymentReplicasMismatch",
        "kube_deployment_spec_replicas != kube_deployment_status_replicas_available",
        "10m",
        "warning",
        "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not had its wanted replicas available for 10 minutes",
      ),
      rule(
        "DaemonSetNotReady",
        "kube_daemonset_status_desired_number_scheduled - kube_daemonset_status_number_ready > 0",
        "10m",
        "warning",
        "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} has pods not ready for 10 minutes",
      ),
    ],
  },
  {
    name: "load-balancers",
    rules: [
      rule(
        "VipMoved",
        "changes(onprem_keepalived_vrrp_master[5m]) > 0 and onprem_keepalived_vrrp_master == 1",
        undefined,
        "warning",
        "VIP {{ $labels.vrrp_instance }} moved to {{ $labels.host }} in the last 5 minutes",
      ),
    ],
  },
];

/** Every rule group of the addon except the certificates', as a vmalert rule file. */
export function renderAlertRules(): string {
  return `${JSON.stringify({ groups: ALERT_RULE_GROUPS }, null, 2)}\n`;
}

/**
 * One rule per certificate the stack issued: it fires `warningDays` before the certificate's notAfter, the day the next
 * `pulumi up` would re-issue it (pki.expiryWarningDays).
 */
export function renderCertificateRules(certificates: readonly IssuedCertificate[], warningDays: number): string {
  const rules = [...certificates]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => ({
      alert: "CertificateExpiresSoon",
      expr: `${Math.floor(Date.parse(c.notAfter) / 1000)} - time() < ${warningDays * 86_400}`,
      labels: { severity: "warning", certificate: c.name, not_after: c.notAfter },
      annotations: { summary: `certificate ${c.name} expires ${c.notAfter}; run pulumi up to re-issue it` },
    }));
  return `${JSON.stringify({ groups: [{ name: "certificates", interval: "1h", rules }] }, null, 2)}\n`;
}
