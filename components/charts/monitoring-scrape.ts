/**
 * VictoriaMetrics' scrape config (Prometheus' format, written as JSON, which is YAML): the cluster's daemons found
 * through the API, and the hosts outside the pods by address. A pure function of its arguments.
 */
import type { ScrapeHost, ScrapeHosts } from "../../spec/monitoring";
import { CONTROLLER_MANAGER_PORT, SCHEDULER_PORT } from "../host/control-plane-scripts";
import { KUBE_PROXY_METRICS_PORT } from "../host/node-scripts";
import { HAPROXY_METRICS_PORT, NODE_EXPORTER_PORT } from "../host/load-balancer-scripts";

/** Where the pod finds its ServiceAccount token and the cluster CA. */
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Where the etcd client certificate Secret is mounted. */
export const ETCD_CERT_DIR = "/etc/victoria-metrics/etcd";

/** The ports the scraped daemons serve metrics on; the host scripts bind them (components/host). */
export const METRICS_PORTS = {
  etcd: 2379,
  controllerManager: CONTROLLER_MANAGER_PORT,
  scheduler: SCHEDULER_PORT,
  kubeProxy: KUBE_PROXY_METRICS_PORT,
  haproxy: HAPROXY_METRICS_PORT,
  nodeExporter: NODE_EXPORTER_PORT,
} as const;

type Job = Record<string, unknown>;

/** Authenticated as the pod's ServiceAccount, trusting the cluster CA. */
const asServiceAccount = { scheme: "https", bearer_token_file: `${SA_DIR}/token`, tls_config: { ca_file: `${SA_DIR}/ca.crt` } };

const keep = (labels: string[], regex: string) => ({ source_labels: labels, regex, action: "keep" });
const copy = (from: string, to: string) => ({ source_labels: [from], target_label: to });

/** One job per kubelet endpoint: its own metrics, cAdvisor's, and the resource metrics (per-container start times). */
function kubeletJob(job: string, path: string): Job {
  return {
    job_name: job,
    metrics_path: path,
    ...asServiceAccount,
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [copy("__meta_kubernetes_node_name", "node")],
  };
}

/** Pods of a label, on the container port of a name. */
function podJob(job: string, labelName: string, labelValue: string, portName: string, namespace?: string): Job {
  const sanitized = labelName.replace(/[^a-zA-Z0-9_]/g, "_");
  return {
    job_name: job,
    kubernetes_sd_configs: [namespace ? { role: "pod", namespaces: { names: [namespace] } } : { role: "pod" }],
    relabel_configs: [
      keep([`__meta_kubernetes_pod_label_${sanitized}`], labelValue),
      keep(["__meta_kubernetes_pod_container_port_name"], portName),
      copy("__meta_kubernetes_namespace", "namespace"),
      copy("__meta_kubernetes_pod_name", "pod"),
      copy("__meta_kubernetes_pod_node_name", "node"),
    ],
  };
}

/** Hosts by address, each target labelled with its host name. */
function hostTargets(hosts: readonly ScrapeHost[], port: number): Job["static_configs"] {
  return hosts.map((h) => ({ targets: [`${h.address}:${port}`], labels: { host: h.name } }));
}

/** What the scrape config is rendered from. */
export interface ScrapeConfigArgs {
  readonly intervalSeconds: number;
  readonly hosts: ScrapeHosts;
  /** The namespace node-exporter runs in. */
  readonly namespace: string;
}

export function renderScrapeConfig(a: ScrapeConfigArgs): string {
  const { etcd, masters, loadBalancers } = a.hosts;
  const jobs: Job[] = [
    {
      job_name: "apiserver",
      ...asServiceAccount,
      kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: ["default"] } }],
      relabel_configs: [keep(["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"], "kubernetes;https")],
    },
    kubeletJob("kubelet", "/metrics"),
    kubeletJob("cadvisor", "/metrics/cadvisor"),
    kubeletJob("kubelet-resource", "/metrics/resource"),
    {
      job_name: "kube-proxy",
      kubernetes_sd_configs: [{ role: "node" }],
      relabel_configs: [
        { source_labels: ["__meta_kubernetes_node_address_InternalIP"], target_label: "__address__", replacement: `$1:${METRICS_PORTS.kubeProxy}` },
        copy("__meta_kubernetes_node_name", "node"),
      ],
    },
    podJob("node-exporter", "app", "node-exporter", "metrics", a.namespace),
    podJob("coredns", "k8s-app", "kube-dns", "metrics", "kube-system"),
    podJob("traefik", "app", "traefik", "metrics"),
    {
      // Pods that opt in: prometheus.io/scrape "true", and optionally prometheus.io/port and prometheus.io/path.
      job_name: "pods",
      kubernetes_sd_configs: [{ role: "pod" }],
      relabel_configs: [
        keep(["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "true"),
        { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__" },
        {
          source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
          regex: "(.+);([0-9]+)",
          replacement: "$1:$2",
          target_label: "__address__",
        },
        copy("__meta_kubernetes_namespace", "namespace"),
        copy("__meta_kubernetes_pod_name", "pod"),
      ],
    },
  ];
  if (etcd.length > 0) {
    jobs.push({
      job_name: "etcd",
      scheme: "https",
      tls_config: { ca_file: `${ETCD_CERT_DIR}/ca.crt`, cert_file: `${ETCD_CERT_DIR}/tls.crt`, key_file: `${ETCD_CERT_DIR}/tls.key` },
      static_configs: hostTargets(etcd, METRICS_PORTS.etcd),
    });
  }
  if (masters.length > 0) {
    // Their serving certificates are self-signed at start, so only the token is checked, by them.
    const master = (job: string, port: number) => ({ job_name: job, ...asServiceAccount, tls_config: { insecure_skip_verify: true }, static_configs: hostTargets(masters, port) });
    jobs.push(master("controller-manager", METRICS_PORTS.controllerManager), master("scheduler", METRICS_PORTS.scheduler));
  }
  if (loadBalancers.length > 0) {
    jobs.push(
      { job_name: "haproxy", static_configs: hostTargets(loadBalancers, METRICS_PORTS.haproxy) },
      { job_name: "lb-node-exporter", static_configs: hostTargets(loadBalancers, METRICS_PORTS.nodeExporter) },
    );
  }
  jobs.push(
    // Its namespace and pod labels are the objects', not the target's.
    { job_name: "state-metrics", honor_labels: true, static_configs: [{ targets: ["state-metrics:8080"] }] },
    { job_name: "victoria-metrics", static_configs: [{ targets: ["localhost:8428"] }] },
    { job_name: "vmalert", static_configs: [{ targets: ["vmalert:8880"] }] },
    { job_name: "alertmanager", static_configs: [{ targets: ["alertmanager:9093"] }] },
  );
  const interval = `${a.intervalSeconds}s`;
  return `${JSON.stringify({ global: { scrape_interval: interval, scrape_timeout: `${Math.min(10, a.intervalSeconds)}s` }, scrape_configs: jobs }, null, 2)}\n`;
}
