/**
 * The Kubernetes Dashboard v2.7.0 as upstream's recommended.yaml installs it, without its metrics scraper (the cluster
 * has no metrics-server: node and pod usage are in the monitoring addon), plus a read-only and an admin ServiceAccount
 * and a TLS route on Traefik's internal entry point. A pure function of its arguments; the three Secrets the Dashboard
 * keeps its state in are declared without data.
 */
import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { traefikApiVersion } from "./traefik-crds";
import { intOrString, resources } from "./store-deployment";
import { DASHBOARD_IMAGE, DashboardSpec } from "../../spec/dashboard";

const kube = kplus.k8s;

export const dashboardDefaults = { namespace: "kubernetes-dashboard", uiHost: "dashboard.local" };
const NAME = "kubernetes-dashboard";
const LABELS = { "k8s-app": NAME };
/** The Secrets the Dashboard writes its certificates, CSRF key and encryption key into; it cannot create them. */
export const DASHBOARD_STATE_SECRETS = [`${NAME}-certs`, `${NAME}-csrf`, `${NAME}-key-holder`] as const;
/** The accounts whose tokens log in: one may read everything but Secrets, the other do anything. */
export const DASHBOARD_ACCOUNTS = { viewer: "dashboard-viewer", admin: "dashboard-admin" } as const;

/** Everything the chart is rendered from besides the config key. */
export interface DashboardChartArgs extends DashboardSpec {
  /** Whether Traefik runs, so the Dashboard gets a route on its internal entry point. */
  readonly traefik: boolean;
}

export function dashboardManifests(args: DashboardChartArgs): ManifestObject[] {
  const namespace = args.namespace ?? dashboardDefaults.namespace;
  const chart = newChart("dashboard");
  new kube.KubeNamespace(chart, "namespace", { metadata: { name: namespace } });
  new kube.KubeServiceAccount(chart, "service-account", { metadata: { name: NAME, namespace, labels: LABELS } });
  for (const name of DASHBOARD_STATE_SECRETS) new kube.KubeSecret(chart, name, { metadata: { name, namespace, labels: LABELS }, type: "Opaque" });
  new kube.KubeConfigMap(chart, "settings", { metadata: { name: `${NAME}-settings`, namespace, labels: LABELS } });
  new kube.KubeRole(chart, "role", {
    metadata: { name: NAME, namespace, labels: LABELS },
    rules: [
      { apiGroups: [""], resources: ["secrets"], resourceNames: [...DASHBOARD_STATE_SECRETS], verbs: ["get", "update", "delete"] },
      { apiGroups: [""], resources: ["configmaps"], resourceNames: [`${NAME}-settings`], verbs: ["get", "update"] },
    ],
  });
  new kube.KubeRoleBinding(chart, "role-binding", {
    metadata: { name: NAME, namespace, labels: LABELS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAME },
    subjects: [{ kind: "ServiceAccount", name: NAME, namespace }],
  });
  for (const [account, role] of [
    [DASHBOARD_ACCOUNTS.viewer, "view"],
    [DASHBOARD_ACCOUNTS.admin, "cluster-admin"],
  ]) {
    new kube.KubeServiceAccount(chart, account, { metadata: { name: account, namespace } });
    new kube.KubeClusterRoleBinding(chart, `${account}-binding`, {
      metadata: { name: `onprem-k8s:${account}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: account, namespace }],
    });
  }
  new kube.KubeDeployment(chart, "deployment", {
    metadata: { name: NAME, namespace, labels: LABELS },
    spec: {
      replicas: 1,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: NAME,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          nodeSelector: { "kubernetes.io/os": "linux" },
          containers: [
            {
              name: NAME,
              image: DASHBOARD_IMAGE,
              // Login by token only: no skip button, no metrics scraper.
              args: ["--auto-generate-certificates", `--namespace=${namespace}`, "--metrics-provider=none", "--enable-skip-login=false"],
              ports: [{ containerPort: 8443, protocol: "TCP" }],
              resources: resources({ cpu: "50m", memory: "64Mi" }, { cpu: "500m", memory: "256Mi" }),
              livenessProbe: { httpGet: { scheme: "HTTPS", path: "/", port: intOrString(8443) }, initialDelaySeconds: 30, timeoutSeconds: 30 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 1001, runAsGroup: 2001, capabilities: { drop: ["ALL"] } },
              volumeMounts: [
                { name: "certs", mountPath: "/certs" },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "certs", secret: { secretName: `${NAME}-certs` } },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  });
  new kube.KubeService(chart, "service", {
    metadata: { name: NAME, namespace, labels: LABELS },
    spec: { selector: LABELS, ports: [{ port: 443, targetPort: intOrString(8443) }] },
  });
  if (args.traefik) {
    // The Dashboard serves its own self-signed certificate inside the cluster; Traefik ends the client's TLS.
    new ApiObject(chart, "servers-transport", {
      apiVersion: traefikApiVersion,
      kind: "ServersTransport",
      metadata: { name: NAME, namespace },
      spec: { insecureSkipVerify: true },
    });
    new ApiObject(chart, "route", {
      apiVersion: traefikApiVersion,
      kind: "IngressRoute",
      metadata: { name: NAME, namespace },
      spec: {
        entryPoints: ["traefik"],
        tls: {},
        routes: [{ kind: "Rule", match: `Host(\`${args.uiHost ?? dashboardDefaults.uiHost}\`)`, priority: 100, services: [{ name: NAME, port: 443, scheme: "https", serversTransport: NAME }] }],
      },
    });
  }
  return renderChart(chart);
}
