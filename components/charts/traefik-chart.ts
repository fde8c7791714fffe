import { ApiObject, Chart, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { pinPodTemplate, schedule, toContainerProps } from "./pod-spec";
import { ContainerSecurityContextSpec, ContainerSpec } from "../../spec/pod";
import { addTraefikCrds, traefikApiVersion } from "./traefik-crds";
import { TRAEFIK_ACCEPT_GRACE_SECONDS, TRAEFIK_DEFAULT_IMAGE, TRAEFIK_PING_PORT, TraefikSpec } from "../../spec/traefik";

const kube = kplus.k8s;

/** Secret the chart declares without data: the dashboard's htpasswd users, when given. */
export interface TraefikSecretShapes {
  readonly dashboardAuthSecretName?: string;
}

export const traefikDefaults = {
  namespace: "traefik",
  image: TRAEFIK_DEFAULT_IMAGE,
  edgeNodeLabel: { key: "node-role.kubernetes.io/edge", value: "" },
  edgeTaint: { key: "node-role.kubernetes.io/edge", effect: "NoSchedule" as const },
  ingressClassName: "traefik",
  dashboardPort: 9000,
  metricsPort: 9100,
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
};

/** The name shared by Traefik's ServiceAccount, RBAC objects, DaemonSet and `app` label. */
const appName = "traefik";

/** Read-only access to what Traefik v3 routes from: Ingresses, Services, endpoints, Secrets, its CRDs. */
function addRbac(chart: Chart, namespace: string, serviceAccount: kplus.ServiceAccount): void {
  const read = ["get", "list", "watch"];
  new kube.KubeClusterRole(chart, "cluster-role", {
    metadata: { name: appName },
    rules: [
      { apiGroups: [""], resources: ["services", "endpoints", "secrets", "nodes"], verbs: read },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      { apiGroups: ["extensions", "networking.k8s.io"], resources: ["ingresses", "ingressclasses"], verbs: read },
      { apiGroups: ["extensions", "networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
      {
        apiGroups: ["traefik.io"],
        resources: [
          "ingressroutes",
          "ingressroutetcps",
          "ingressrouteudps",
          "middlewares",
          "middlewaretcps",
          "serverstransports",
          "serverstransporttcps",
          "tlsoptions",
          "tlsstores",
          "traefikservices",
        ],
        verbs: read,
      },
    ],
  });
  new kube.KubeClusterRoleBinding(chart, "cluster-role-binding", {
    metadata: { name: appName },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: appName },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount.name, namespace }],
  });
}

function traefikArgs(spec: TraefikSpec, web: number, websecure: number): string[] {
  const dashboardPort = spec.dashboardPort ?? traefikDefaults.dashboardPort;
  const metricsPort = spec.metricsPort ?? traefikDefaults.metricsPort;
  return [
    `--entryPoints.web.address=:${web}`,
    `--entryPoints.websecure.address=:${websecure}`,
    // Routes that name no entry point attach only to web/websecure, never to the internal ones.
    "--entryPoints.web.asDefault=true",
    "--entryPoints.websecure.asDefault=true",
    `--entryPoints.traefik.address=:${dashboardPort}`,
    `--entryPoints.metrics.address=:${metricsPort}`,
    "--api.dashboard=true",
    // A ping entry point of its own: the edge VIP checks it on every edge node, where the dashboard's must stay closed.
    // Stopping, Traefik answers /ping with 503 and keeps accepting requests until HAProxy has taken it out.
    `--entryPoints.ping.address=:${TRAEFIK_PING_PORT}`,
    "--ping=true",
    "--ping.entryPoint=ping",
    "--ping.terminatingStatusCode=503",
    `--entryPoints.web.transport.lifeCycle.requestAcceptGraceTimeout=${TRAEFIK_ACCEPT_GRACE_SECONDS}s`,
    `--entryPoints.websecure.transport.lifeCycle.requestAcceptGraceTimeout=${TRAEFIK_ACCEPT_GRACE_SECONDS}s`,
    "--metrics.prometheus=true",
    "--metrics.prometheus.entryPoint=metrics",
    "--accesslog=true",
    `--accesslog.format=${spec.accessLogFormat ?? "common"}`,
    `--log.level=${spec.logLevel ?? "INFO"}`,
    "--providers.kubernetescrd=true",
    "--providers.kubernetesingress=true",
    `--providers.kubernetesingress.ingressClass=${spec.ingressClassName ?? traefikDefaults.ingressClassName}`,
    ...(spec.publishedAddress ? [`--providers.kubernetesingress.ingressEndpoint.ip=${spec.publishedAddress}`] : []),
    // On-prem clusters are often air-gapped: no update checks or usage reports.
    "--global.checkNewVersion=false",
    "--global.sendAnonymousUsage=false",
  ];
}

function containerSpec(spec: TraefikSpec): ContainerSpec {
  const hostNetwork = spec.hostNetwork ?? false;
  const dashboardPort = spec.dashboardPort ?? traefikDefaults.dashboardPort;
  // With host ports, Traefik listens unprivileged and the node maps 80/443 in; on the host network
  // it must bind 80/443 itself, which needs root with NET_BIND_SERVICE (and nothing else).
  const [web, websecure] = hostNetwork ? [80, 443] : [8000, 8443];
  const securityContext: ContainerSecurityContextSpec = hostNetwork
    ? {
        runAsUser: 0,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
      }
    : {
        runAsUser: 65532,
        runAsGroup: 65532,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      };
  const ping = { http: { path: "/ping", port: TRAEFIK_PING_PORT } };
  return {
    image: spec.image ?? traefikDefaults.image,
    args: traefikArgs(spec, web, websecure),
    ports: [
      { name: "web", containerPort: web, hostPort: hostNetwork ? undefined : 80 },
      { name: "websecure", containerPort: websecure, hostPort: hostNetwork ? undefined : 443 },
      { name: "ping", containerPort: TRAEFIK_PING_PORT, hostPort: hostNetwork ? undefined : TRAEFIK_PING_PORT },
      { name: "traefik", containerPort: dashboardPort },
      { name: "metrics", containerPort: spec.metricsPort ?? traefikDefaults.metricsPort },
    ],
    resources: spec.resources ?? traefikDefaults.resources,
    securityContext,
    livenessProbe: { ...ping, initialDelaySeconds: 2, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    readinessProbe: { ...ping, initialDelaySeconds: 2, periodSeconds: 10, failureThreshold: 1, timeoutSeconds: 2 },
  };
}

function addDaemonSet(chart: Chart, spec: TraefikSpec, namespace: string, serviceAccount: kplus.ServiceAccount): void {
  const labels = { app: appName };
  const hostNetwork = spec.hostNetwork ?? false;
  const edgeLabel = spec.edgeNodeLabel ?? traefikDefaults.edgeNodeLabel;
  const edgeTaint = spec.edgeTaint ?? traefikDefaults.edgeTaint;
  const container = containerSpec(spec);
  const tmp = kplus.Volume.fromEmptyDir(chart, "tmp", "tmp");
  const daemonSet = new kplus.DaemonSet(chart, "daemon-set", {
    metadata: { name: appName, namespace, labels },
    select: false,
    podMetadata: { labels },
    serviceAccount,
    hostNetwork,
    dns: hostNetwork ? { policy: kplus.DnsPolicy.CLUSTER_FIRST_WITH_HOST_NET } : undefined,
    containers: [toContainerProps(appName, container, { volumeMounts: [{ volume: tmp, path: "/tmp" }] })],
  });
  daemonSet.select(kplus.LabelSelector.of({ labels }));
  schedule(daemonSet, [{ key: edgeTaint.key, operator: "Exists", effect: edgeTaint.effect }]);
  pinPodTemplate(daemonSet, {
    containers: [container],
    nodeSelector: { [edgeLabel.key]: edgeLabel.value },
    automountServiceAccountToken: true,
  });
}

/**
 * The dashboard is not open to everyone: it is served only on the internal `traefik` entry point,
 * reachable through a ClusterIP Service (e.g. `kubectl port-forward`), never on the edge ports;
 * with `dashboardAuthSecretName` it also asks for BasicAuth (required when on the host network,
 * where the internal port is bound on the node's address).
 */
function addDashboard(chart: Chart, spec: TraefikSpec, namespace: string, secrets: TraefikSecretShapes): void {
  const dashboardPort = spec.dashboardPort ?? traefikDefaults.dashboardPort;
  const metricsPort = spec.metricsPort ?? traefikDefaults.metricsPort;
  const service = new kplus.Service(chart, "internal-service", {
    metadata: { name: `${appName}-internal`, namespace, labels: { app: appName } },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [
      { name: "traefik", port: dashboardPort, targetPort: dashboardPort },
      { name: "metrics", port: metricsPort, targetPort: metricsPort },
    ],
  });
  service.selectLabel("app", appName);
  ApiObject.of(service).addJsonPatch(JsonPatch.remove("/spec/externalIPs"));

  const middlewares: { name: string }[] = [];
  if (secrets.dashboardAuthSecretName) {
    new kube.KubeSecret(chart, "dashboard-auth", {
      metadata: { name: secrets.dashboardAuthSecretName, namespace },
      type: "Opaque",
    });
    new ApiObject(chart, "dashboard-auth-middleware", {
      apiVersion: traefikApiVersion,
      kind: "Middleware",
      metadata: { name: `${appName}-dashboard-auth`, namespace },
      spec: { basicAuth: { secret: secrets.dashboardAuthSecretName } },
    });
    middlewares.push({ name: `${appName}-dashboard-auth` });
  }
  new ApiObject(chart, "dashboard-route", {
    apiVersion: traefikApiVersion,
    kind: "IngressRoute",
    metadata: { name: `${appName}-dashboard`, namespace },
    spec: {
      entryPoints: ["traefik"],
      routes: [
        {
          kind: "Rule",
          match: "PathPrefix(`/dashboard`) || PathPrefix(`/api`)",
          services: [{ name: "api@internal", kind: "TraefikService" }],
          middlewares: middlewares.length > 0 ? middlewares : undefined,
        },
      ],
    },
  });
}

/**
 * Renders Traefik v3 as an edge DaemonSet: namespace, CRDs, RBAC, IngressClass, DaemonSet,
 * internal Service and the dashboard route. A pure function of its arguments.
 */
export function traefikManifests(spec: TraefikSpec, secrets: TraefikSecretShapes = {}): ManifestObject[] {
  const namespace = spec.namespace ?? traefikDefaults.namespace;
  const chart = newChart(appName);
  if (spec.createNamespace ?? true) new kplus.Namespace(chart, "namespace", { metadata: { name: namespace } });
  addTraefikCrds(chart);
  const serviceAccount = new kplus.ServiceAccount(chart, "service-account", { metadata: { name: appName, namespace } });
  addRbac(chart, namespace, serviceAccount);
  new kube.KubeIngressClass(chart, "ingress-class", {
    metadata: {
      name: spec.ingressClassName ?? traefikDefaults.ingressClassName,
      annotations: spec.defaultIngressClass ? { "ingressclass.kubernetes.io/is-default-class": "true" } : undefined,
    },
    spec: { controller: "traefik.io/ingress-controller" },
  });
  addDaemonSet(chart, spec, namespace, serviceAccount);
  addDashboard(chart, spec, namespace, secrets);
  return renderChart(chart);
}
