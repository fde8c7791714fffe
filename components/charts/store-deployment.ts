/** What the monitoring and logging charts share: a store run as one pod with its Service, its volume, its UI route. */
import { ApiObject, Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { traefikApiVersion } from "./traefik-crds";
import type { MonitoringStorage } from "../../spec/monitoring";

const kube = kplus.k8s;

export const intOrString = (value: number) => kube.IntOrString.fromNumber(value);
export const quantities = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, kube.Quantity.fromString(v)]));
export const resources = (requests: Record<string, string>, limits: Record<string, string>) => ({ requests: quantities(requests), limits: quantities(limits) });

/** Every container runs unprivileged, read-only, with no capabilities. */
export const RESTRICTED = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
export const NOBODY = { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, fsGroup: 65534 };

/**
 * A ServiceAccount and the ClusterRole of `rules` bound to it, the role and binding named `onprem-k8s:ROLE`; `id`
 * prefixes the construct ids.
 */
export function addClusterRoleAccount(chart: Chart, id: string, namespace: string, account: string, role: string, rules: kplus.k8s.PolicyRule[]): void {
  const name = `onprem-k8s:${role}`;
  new kube.KubeServiceAccount(chart, `${id}-service-account`, { metadata: { name: account, namespace } });
  new kube.KubeClusterRole(chart, `${id}-cluster-role`, { metadata: { name }, rules });
  new kube.KubeClusterRoleBinding(chart, `${id}-cluster-role-binding`, {
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name: account, namespace }],
  });
}

/** A Deployment of one pod with its Service on one port: the shape of VictoriaMetrics, vmalert, Alertmanager and VictoriaLogs. */
export function addSingleton(
  chart: Chart,
  namespace: string,
  name: string,
  serviceAccountName: string | undefined,
  container: kplus.k8s.Container,
  volumes: kplus.k8s.Volume[],
  port: number,
  persistent: boolean,
): void {
  const labels = { app: name };
  new kube.KubeDeployment(chart, `${name}-deployment`, {
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      // A volume claim is mounted by one pod at a time: the old pod goes before the new one starts.
      strategy: persistent ? { type: "Recreate" } : { type: "RollingUpdate" },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName,
          automountServiceAccountToken: serviceAccountName !== undefined,
          securityContext: NOBODY,
          containers: [{ ...container, ports: [{ name: "http", containerPort: port }], securityContext: RESTRICTED }],
          volumes,
        },
      },
    },
  });
  new kube.KubeService(chart, `${name}-service`, {
    metadata: { name, namespace, labels },
    spec: { selector: labels, ports: [{ name: "http", port, targetPort: intOrString(port) }] },
  });
}

/** The store's data: a claim of the StorageClass when storage is given, else an emptyDir. */
export function dataVolume(chart: Chart, namespace: string, name: string, storage: MonitoringStorage | undefined): kplus.k8s.Volume {
  if (!storage) return { name: "data", emptyDir: {} };
  new kube.KubePersistentVolumeClaim(chart, `${name}-claim`, {
    metadata: { name: `${name}-data`, namespace },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: storage.storageClassName, resources: { requests: quantities({ storage: storage.size }) } },
  });
  return { name: "data", persistentVolumeClaim: { claimName: `${name}-data` } };
}

/** A route on Traefik's internal entry point (never the edge ports) for a host name, to a Service's port. */
export function addUiRoute(chart: Chart, namespace: string, name: string, host: string, service: string, port: number): void {
  new ApiObject(chart, `${name}-route`, {
    apiVersion: traefikApiVersion,
    kind: "IngressRoute",
    metadata: { name, namespace },
    // Above the dashboard's route on that entry point (PathPrefix /api, priority its length), which would take /api/v1.
    spec: { entryPoints: ["traefik"], routes: [{ kind: "Rule", match: `Host(\`${host}\`)`, priority: 100, services: [{ name: service, port }] }] },
  });
}
