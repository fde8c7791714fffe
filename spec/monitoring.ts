/** What the `monitoring` addon is made of: plain data, no Pulumi types, no secret values. */

/** The images the monitoring addon runs, built into the bundle from their pinned Go modules (docs/images.md). */
export const MONITORING_IMAGES = {
  victoriaMetrics: "docker.io/victoriametrics/victoria-metrics:v1.151.0",
  vmalert: "docker.io/victoriametrics/vmalert:v1.151.0",
  alertmanager: "quay.io/prometheus/alertmanager:v0.31.1",
  nodeExporter: "quay.io/prometheus/node-exporter:v1.12.1",
  /** The project's subset of kube-state-metrics (same metric names), which is not served as a Go module. */
  stateMetrics: "docker.io/onprem-k8s/state-metrics:0.1.0",
} as const;

/** A persistent volume claimed through a StorageClass. */
export interface MonitoringStorage {
  /** The StorageClass the claim is made with, such as the ceph addon's. */
  readonly storageClassName: string;
  /** The claim's size, such as `20Gi`. */
  readonly size: string;
}

/** The `monitoring` config key: metrics, alert rules and Alertmanager (components/monitoring.ts). */
export interface MonitoringSpec {
  /** Namespace of the monitoring objects. @default "monitoring" */
  readonly namespace?: string;
  /** How long VictoriaMetrics keeps samples: a number with a unit h, d, w or y. @default "15d" */
  readonly retention?: string;
  /** Seconds between two scrapes of a target, and between two evaluations of the rules. @default 30 */
  readonly scrapeIntervalSeconds?: number;
  /** VictoriaMetrics' and Alertmanager's data on a claim of this StorageClass. @default none: an emptyDir, lost with the pod */
  readonly storage?: MonitoringStorage;
  /** Host name the metrics UI (vmui) answers on, on Traefik's internal entry point. @default "metrics.local" */
  readonly uiHost?: string;
}

/** A host outside the cluster's pods that the scraper reaches directly. */
export interface ScrapeHost {
  readonly name: string;
  readonly address: string;
}

/** The hosts of the stack that run daemons outside Kubernetes, scraped by address. */
export interface ScrapeHosts {
  /** etcd members: /metrics on the client port, over TLS with a client certificate. */
  readonly etcd: readonly ScrapeHost[];
  /** Masters run by the stack: controller-manager and scheduler. None with an external control plane. */
  readonly masters: readonly ScrapeHost[];
  /** Load-balancer hosts: HAProxy's exporter, and node_exporter with keepalived's state. */
  readonly loadBalancers: readonly ScrapeHost[];
}

/** A certificate the stack issued and when it expires, for the expiry alert. */
export interface IssuedCertificate {
  readonly name: string;
  /** RFC 3339 time the certificate stops being valid. */
  readonly notAfter: string;
}
