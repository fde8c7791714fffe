/**
 * The monitoring addon's objects: VictoriaMetrics (scraper, store and the vmui metrics UI), vmalert with the rules,
 * Alertmanager, node_exporter on every node, and the vmui route on Traefik's internal entry point. A pure function of
 * its arguments; the Secrets are declared without data (components/monitoring.ts fills them in).
 */
import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { addClusterRoleAccount, addSingleton, addUiRoute, dataVolume, intOrString, resources, RESTRICTED } from "./store-deployment";
import { ETCD_CERT_DIR, METRICS_PORTS, renderScrapeConfig } from "./monitoring-scrape";
import { renderAlertRules } from "./monitoring-rules";
import { MONITORING_IMAGES, MonitoringSpec, ScrapeHosts } from "../../spec/monitoring";

const kube = kplus.k8s;

export const monitoringDefaults = { namespace: "monitoring", retention: "15d", scrapeIntervalSeconds: 30, uiHost: "metrics.local" };

/** The Secrets the chart declares without data, and the ConfigMap of the certificates' rules the component makes. */
export const MONITORING_SECRETS = { etcdClient: "etcd-client", alertmanagerConfig: "alertmanager-config" } as const;
export const CERTIFICATE_RULES_CONFIGMAP = "certificate-rules";

/** Everything the chart is rendered from besides the config key. */
export interface MonitoringChartArgs extends MonitoringSpec {
  readonly hosts: ScrapeHosts;
  /** Whether Traefik runs, so vmui gets a route on its internal entry point. */
  readonly traefik: boolean;
}

/** Read access to what the scrape config discovers, and the metrics of the kubelets, apiservers and controllers. */
function addScraperRbac(chart: Chart, namespace: string): void {
  const read = ["get", "list", "watch"];
  addClusterRoleAccount(chart, "scraper", namespace, "victoria-metrics", "monitoring-scraper", [
    { apiGroups: [""], resources: ["nodes", "nodes/metrics", "services", "endpoints", "pods"], verbs: read },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
    { nonResourceUrLs: ["/metrics", "/metrics/cadvisor", "/metrics/resource"], verbs: ["get"] },
  ]);
}

function addNodeExporter(chart: Chart, namespace: string): void {
  const labels = { app: "node-exporter" };
  const host = (name: string, path: string) => ({ name, hostPath: { path } });
  new kube.KubeDaemonSet(chart, "node-exporter", {
    metadata: { name: "node-exporter", namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: intOrString(1) } },
      template: {
        metadata: { labels },
        spec: {
          // The node's own network, processes and file systems are what it measures.
          hostNetwork: true,
          hostPid: true,
          automountServiceAccountToken: false,
          priorityClassName: "system-node-critical",
          tolerations: [{ operator: "Exists" }],
          securityContext: { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true },
          containers: [
            {
              name: "node-exporter",
              image: MONITORING_IMAGES.nodeExporter,
              args: [
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                `--web.listen-address=:${METRICS_PORTS.nodeExporter}`,
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/kubelet|var/lib/containerd|run/containerd)($|/)",
              ],
              ports: [{ name: "metrics", containerPort: METRICS_PORTS.nodeExporter }],
              resources: resources({ cpu: "20m", memory: "32Mi" }, { cpu: "200m", memory: "96Mi" }),
              securityContext: RESTRICTED,
              readinessProbe: { httpGet: { path: "/", port: intOrString(METRICS_PORTS.nodeExporter) } },
              volumeMounts: [
                { name: "proc", mountPath: "/host/proc", readOnly: true },
                { name: "sys", mountPath: "/host/sys", readOnly: true },
                { name: "root", mountPath: "/host/root", readOnly: true, mountPropagation: "HostToContainer" },
              ],
            },
          ],
          volumes: [host("proc", "/proc"), host("sys", "/sys"), host("root", "/")],
        },
      },
    },
  });
}

/** Pods', Deployments', DaemonSets' and nodes' state, as kube-state-metrics names it, from a read-only account. */
function addStateMetrics(chart: Chart, namespace: string): void {
  addClusterRoleAccount(chart, "state-metrics", namespace, "state-metrics", "monitoring-state-metrics", [
    { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["list"] },
    { apiGroups: ["apps"], resources: ["deployments", "daemonsets"], verbs: ["list"] },
  ]);
  addSingleton(
    chart,
    namespace,
    "state-metrics",
    "state-metrics",
    {
      name: "state-metrics",
      image: MONITORING_IMAGES.stateMetrics,
      resources: resources({ cpu: "20m", memory: "32Mi" }, { cpu: "200m", memory: "128Mi" }),
      readinessProbe: { httpGet: { path: "/healthz", port: intOrString(8080) }, periodSeconds: 10 },
    },
    [],
    8080,
    false,
  );
}

/** The objects of the monitoring addon, in the order they are applied. */
export function monitoringManifests(args: MonitoringChartArgs): ManifestObject[] {
  const namespace = args.namespace ?? monitoringDefaults.namespace;
  const interval = args.scrapeIntervalSeconds ?? monitoringDefaults.scrapeIntervalSeconds;
  const chart = newChart("monitoring");
  new kube.KubeNamespace(chart, "namespace", { metadata: { name: namespace } });
  addScraperRbac(chart, namespace);
  new kube.KubeConfigMap(chart, "scrape-config", {
    metadata: { name: "scrape-config", namespace },
    data: { "scrape.yml": renderScrapeConfig({ intervalSeconds: interval, hosts: args.hosts, namespace }) },
  });
  new kube.KubeConfigMap(chart, "alert-rules", { metadata: { name: "alert-rules", namespace }, data: { "alerts.yml": renderAlertRules() } });
  const withEtcd = args.hosts.etcd.length > 0;
  if (withEtcd) new kube.KubeSecret(chart, "etcd-client", { metadata: { name: MONITORING_SECRETS.etcdClient, namespace }, type: "Opaque" });
  new kube.KubeSecret(chart, "alertmanager-config", { metadata: { name: MONITORING_SECRETS.alertmanagerConfig, namespace }, type: "Opaque" });

  const persistent = args.storage !== undefined;
  addSingleton(
    chart,
    namespace,
    "victoria-metrics",
    "victoria-metrics",
    {
      name: "victoria-metrics",
      image: MONITORING_IMAGES.victoriaMetrics,
      args: [
        "-storageDataPath=/storage",
        `-retentionPeriod=${args.retention ?? monitoringDefaults.retention}`,
        "-promscrape.config=/etc/victoria-metrics/scrape.yml",
        // A config change reaches the pod through the mounted ConfigMap; VictoriaMetrics reads it again.
        "-promscrape.configCheckInterval=30s",
        "-httpListenAddr=:8428",
      ],
      resources: resources({ cpu: "100m", memory: "256Mi" }, { cpu: "1", memory: "1Gi" }),
      readinessProbe: { httpGet: { path: "/health", port: intOrString(8428) }, periodSeconds: 5 },
      volumeMounts: [
        { name: "data", mountPath: "/storage" },
        { name: "config", mountPath: "/etc/victoria-metrics", readOnly: true },
        ...(withEtcd ? [{ name: "etcd-client", mountPath: ETCD_CERT_DIR, readOnly: true }] : []),
      ],
    },
    [
      dataVolume(chart, namespace, "victoria-metrics", args.storage),
      { name: "config", configMap: { name: "scrape-config" } },
      ...(withEtcd ? [{ name: "etcd-client", secret: { secretName: MONITORING_SECRETS.etcdClient } }] : []),
    ],
    8428,
    persistent,
  );
  addSingleton(
    chart,
    namespace,
    "vmalert",
    undefined,
    {
      name: "vmalert",
      image: MONITORING_IMAGES.vmalert,
      args: [
        "-datasource.url=http://victoria-metrics:8428",
        "-notifier.url=http://alertmanager:9093",
        "-rule=/etc/vmalert/rules/*.yml",
        "-rule=/etc/vmalert/certificates/*.yml",
        `-evaluationInterval=${interval}s`,
        // Alert state is written back, so a restarted vmalert keeps each alert's start time.
        "-remoteWrite.url=http://victoria-metrics:8428",
        "-remoteRead.url=http://victoria-metrics:8428",
        "-configCheckInterval=30s",
      ],
      resources: resources({ cpu: "50m", memory: "64Mi" }, { cpu: "500m", memory: "256Mi" }),
      readinessProbe: { httpGet: { path: "/health", port: intOrString(8880) }, periodSeconds: 5 },
      volumeMounts: [
        { name: "rules", mountPath: "/etc/vmalert/rules", readOnly: true },
        { name: "certificates", mountPath: "/etc/vmalert/certificates", readOnly: true },
      ],
    },
    [
      { name: "rules", configMap: { name: "alert-rules" } },
      { name: "certificates", configMap: { name: CERTIFICATE_RULES_CONFIGMAP } },
    ],
    8880,
    false,
  );
  addSingleton(
    chart,
    namespace,
    "alertmanager",
    undefined,
    {
      name: "alertmanager",
      image: MONITORING_IMAGES.alertmanager,
      // One replica: no gossip cluster to listen for.
      args: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--cluster.listen-address="],
      resources: resources({ cpu: "20m", memory: "32Mi" }, { cpu: "200m", memory: "128Mi" }),
      readinessProbe: { httpGet: { path: "/-/ready", port: intOrString(9093) }, periodSeconds: 5 },
      volumeMounts: [
        { name: "data", mountPath: "/alertmanager" },
        { name: "config", mountPath: "/etc/alertmanager", readOnly: true },
      ],
    },
    [dataVolume(chart, namespace, "alertmanager", args.storage), { name: "config", secret: { secretName: MONITORING_SECRETS.alertmanagerConfig } }],
    9093,
    persistent,
  );
  addNodeExporter(chart, namespace);
  addStateMetrics(chart, namespace);
  if (args.traefik) {
    // vmui, seed 000's view of node and pod CPU and memory, only inside the cluster: Traefik's internal entry point.
    addUiRoute(chart, namespace, "metrics-ui", args.uiHost ?? monitoringDefaults.uiHost, "victoria-metrics", 8428);
  }
  return renderChart(chart);
}

/** Alertmanager's config: every alert to the webhook, resolved ones too, grouped by alert name. */
export function renderAlertmanagerConfig(webhookUrl: string): string {
  return `${JSON.stringify(
    {
      route: { receiver: "webhook", group_by: ["alertname"], group_wait: "10s", group_interval: "30s", repeat_interval: "4h" },
      receivers: [{ name: "webhook", webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
    },
    null,
    2,
  )}\n`;
}
