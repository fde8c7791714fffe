/**
 * The logging addon's objects: VictoriaLogs (store, LogsQL and its UI), and vlagent on every node, which reads each
 * container's CRI log under /var/log/pods with the pod's Kubernetes metadata and ships it to VictoriaLogs. A pure
 * function of its arguments.
 */
import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { addClusterRoleAccount, addSingleton, addUiRoute, dataVolume, intOrString, resources, RESTRICTED } from "./store-deployment";
import { LOGGING_IMAGES, LoggingSpec } from "../../spec/logging";

const kube = kplus.k8s;

export const loggingDefaults = { namespace: "logging", retention: "7d", uiHost: "logs.local" };
const VICTORIA_LOGS_PORT = 9428;
/** Where vlagent keeps its read offsets and unsent lines on the node, so a restart neither loses nor repeats lines. */
const VLAGENT_STATE = "/var/lib/onprem-k8s/vlagent";

/** Everything the chart is rendered from besides the config key. */
export interface LoggingChartArgs extends LoggingSpec {
  /** Whether Traefik runs, so the log UI gets a route on its internal entry point. */
  readonly traefik: boolean;
}

/** vlagent finds its own pod, then watches the pods of that node, their namespaces and the node itself. */
function addCollectorRbac(chart: Chart, namespace: string): void {
  addClusterRoleAccount(chart, "collector", namespace, "vlagent", "logging-collector", [{ apiGroups: [""], resources: ["pods", "nodes", "namespaces"], verbs: ["get", "list", "watch"] }]);
}

function addCollector(chart: Chart, namespace: string): void {
  const labels = { app: "vlagent" };
  new kube.KubeDaemonSet(chart, "vlagent", {
    metadata: { name: "vlagent", namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: intOrString(1) } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: "vlagent",
          priorityClassName: "system-node-critical",
          // Every node's containers log, the tainted edge nodes' too.
          tolerations: [{ operator: "Exists" }],
          containers: [
            {
              name: "vlagent",
              image: LOGGING_IMAGES.vlagent,
              args: [
                "-kubernetesCollector",
                "-kubernetesCollector.logsPath=/var/log/containers",
                `-tmpDataPath=${VLAGENT_STATE}`,
                `-remoteWrite.url=http://victoria-logs.${namespace}.svc:${VICTORIA_LOGS_PORT}/insert/native`,
                "-httpListenAddr=:9429",
              ],
              ports: [{ name: "metrics", containerPort: 9429 }],
              resources: resources({ cpu: "50m", memory: "64Mi" }, { cpu: "500m", memory: "256Mi" }),
              // The CRI logs are root's, mode 0640: root reads them as their owner, without any capability.
              securityContext: { ...RESTRICTED, runAsUser: 0, runAsNonRoot: false },
              readinessProbe: { httpGet: { path: "/health", port: intOrString(9429) }, periodSeconds: 10 },
              volumeMounts: [
                { name: "logs", mountPath: "/var/log", readOnly: true },
                { name: "state", mountPath: VLAGENT_STATE },
              ],
            },
          ],
          volumes: [
            { name: "logs", hostPath: { path: "/var/log" } },
            { name: "state", hostPath: { path: VLAGENT_STATE, type: "DirectoryOrCreate" } },
          ],
        },
      },
    },
  });
}

/** The objects of the logging addon, in the order they are applied. */
export function loggingManifests(args: LoggingChartArgs): ManifestObject[] {
  const namespace = args.namespace ?? loggingDefaults.namespace;
  const chart = newChart("logging");
  new kube.KubeNamespace(chart, "namespace", { metadata: { name: namespace } });
  addSingleton(
    chart,
    namespace,
    "victoria-logs",
    undefined,
    {
      name: "victoria-logs",
      image: LOGGING_IMAGES.victoriaLogs,
      args: ["-storageDataPath=/storage", `-retentionPeriod=${args.retention ?? loggingDefaults.retention}`, `-httpListenAddr=:${VICTORIA_LOGS_PORT}`],
      resources: resources({ cpu: "100m", memory: "128Mi" }, { cpu: "1", memory: "1Gi" }),
      readinessProbe: { httpGet: { path: "/health", port: intOrString(VICTORIA_LOGS_PORT) }, periodSeconds: 5 },
      volumeMounts: [{ name: "data", mountPath: "/storage" }],
    },
    [dataVolume(chart, namespace, "victoria-logs", args.storage)],
    VICTORIA_LOGS_PORT,
    args.storage !== undefined,
  );
  addCollectorRbac(chart, namespace);
  addCollector(chart, namespace);
  // VictoriaLogs' UI (/select/vmui) and LogsQL API, only inside the cluster.
  if (args.traefik) addUiRoute(chart, namespace, "logs-ui", args.uiHost ?? loggingDefaults.uiHost, "victoria-logs", VICTORIA_LOGS_PORT);
  return renderChart(chart);
}
