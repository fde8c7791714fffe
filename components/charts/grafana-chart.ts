/**
 * Grafana on the monitoring addon's VictoriaMetrics: its data source and dashboards provisioned from ConfigMaps, its
 * admin password from a Secret, no anonymous access, no calls home, and a route on Traefik's internal entry point. A pure
 * function of its arguments; the admin Secret is declared without data.
 */
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { addUiRoute, intOrString, resources, RESTRICTED } from "./store-deployment";
import { GRAFANA_IMAGE, GrafanaSpec } from "../../spec/grafana";

const kube = kplus.k8s;

export const grafanaDefaults = { namespace: "monitoring", uiHost: "grafana.local" };
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
const LABELS = { app: "grafana" };
const DASHBOARDS_DIR = "/var/lib/grafana-dashboards";

/** Everything the chart is rendered from besides the config key. */
export interface GrafanaChartArgs extends GrafanaSpec {
  /** The Prometheus-compatible URL of the monitoring addon's VictoriaMetrics. */
  readonly metricsUrl: string;
  /** Whether Traefik runs, so Grafana gets a route on its internal entry point. */
  readonly traefik: boolean;
}

/** Grafana's provisioning files: VictoriaMetrics as the default Prometheus data source, and the dashboards' folder. */
export function renderGrafanaProvisioning(metricsUrl: string): { datasources: string; dashboards: string } {
  return {
    datasources: `${JSON.stringify({ apiVersion: 1, datasources: [{ name: "VictoriaMetrics", type: "prometheus", access: "proxy", url: metricsUrl, isDefault: true, editable: false }] }, null, 2)}\n`,
    dashboards: `${JSON.stringify({ apiVersion: 1, providers: [{ name: "onprem-k8s", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: DASHBOARDS_DIR } }] }, null, 2)}\n`,
  };
}

export function grafanaManifests(args: GrafanaChartArgs): ManifestObject[] {
  const namespace = args.namespace ?? grafanaDefaults.namespace;
  const chart = newChart("grafana");
  const provisioning = renderGrafanaProvisioning(args.metricsUrl);
  new kube.KubeConfigMap(chart, "datasources", { metadata: { name: "grafana-datasources", namespace }, data: { "datasources.yaml": provisioning.datasources } });
  new kube.KubeConfigMap(chart, "dashboard-provider", { metadata: { name: "grafana-dashboard-provider", namespace }, data: { "provider.yaml": provisioning.dashboards } });
  new kube.KubeConfigMap(chart, "dashboards", { metadata: { name: "grafana-dashboards", namespace }, data: { ...(args.dashboards ?? {}) } });
  new kube.KubeSecret(chart, "admin", { metadata: { name: GRAFANA_ADMIN_SECRET, namespace }, type: "Opaque" });
  const env = (name: string, value: string) => ({ name, value });
  new kube.KubeDeployment(chart, "deployment", {
    metadata: { name: "grafana", namespace, labels: LABELS },
    spec: {
      replicas: 1,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsUser: 472, runAsGroup: 472, runAsNonRoot: true, fsGroup: 472 },
          containers: [
            {
              name: "grafana",
              image: GRAFANA_IMAGE,
              env: [
                env("GF_SECURITY_ADMIN_USER", "admin"),
                { name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: GRAFANA_ADMIN_SECRET, key: "password" } } },
                env("GF_AUTH_ANONYMOUS_ENABLED", "false"),
                // An air-gapped site: no update checks, no usage reports, no plugin catalogue.
                env("GF_ANALYTICS_REPORTING_ENABLED", "false"),
                env("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
                env("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
                env("GF_PLUGINS_PLUGIN_ADMIN_ENABLED", "false"),
              ],
              ports: [{ name: "http", containerPort: 3000 }],
              resources: resources({ cpu: "50m", memory: "128Mi" }, { cpu: "500m", memory: "512Mi" }),
              readinessProbe: { httpGet: { path: "/api/health", port: intOrString(3000) }, periodSeconds: 10 },
              securityContext: RESTRICTED,
              volumeMounts: [
                { name: "data", mountPath: "/var/lib/grafana" },
                { name: "tmp", mountPath: "/tmp" },
                { name: "datasources", mountPath: "/etc/grafana/provisioning/datasources", readOnly: true },
                { name: "dashboard-provider", mountPath: "/etc/grafana/provisioning/dashboards", readOnly: true },
                { name: "dashboards", mountPath: DASHBOARDS_DIR, readOnly: true },
              ],
            },
          ],
          // Everything Grafana knows comes from the provisioning files: its own database can be lost with the pod.
          volumes: [
            { name: "data", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
            { name: "datasources", configMap: { name: "grafana-datasources" } },
            { name: "dashboard-provider", configMap: { name: "grafana-dashboard-provider" } },
            { name: "dashboards", configMap: { name: "grafana-dashboards" } },
          ],
        },
      },
    },
  });
  new kube.KubeService(chart, "service", {
    metadata: { name: "grafana", namespace, labels: LABELS },
    spec: { selector: LABELS, ports: [{ name: "http", port: 3000, targetPort: intOrString(3000) }] },
  });
  if (args.traefik) addUiRoute(chart, namespace, "grafana", args.uiHost ?? grafanaDefaults.uiHost, "grafana", 3000);
  return renderChart(chart);
}
