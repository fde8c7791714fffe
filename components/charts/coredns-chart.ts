import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { corednsImage } from "../../spec/images";

const kube = kplus.k8s;

/** What CoreDNS is rendered from. */
export interface CoreDnsSpec {
  /** The ClusterIP of the kube-dns Service (network.clusterDnsIp), which pods get as their nameserver. */
  readonly clusterDnsIp: string;
  /** The cluster DNS domain (network.clusterDomain). */
  readonly clusterDomain: string;
  /** The CoreDNS version (versions.coredns), e.g. 1.11.3. */
  readonly version: string;
  /** Image repository. @default "registry.k8s.io/coredns/coredns" (spec/images.ts corednsImage) */
  readonly image?: string;
  /** Replicas of the Deployment. @default 2 */
  readonly replicas?: number;
}

const NAMESPACE = "kube-system";
const LABELS = { "k8s-app": "kube-dns" };

/** The Corefile: cluster names from the API, everything else forwarded to the nodes' resolvers. */
export function renderCorefile(clusterDomain: string): string {
  return `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

const intOrString = (value: number) => kube.IntOrString.fromNumber(value);
const quantities = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, kube.Quantity.fromString(v)]));

/**
 * Renders CoreDNS as the cluster DNS: its ServiceAccount and RBAC, the Corefile, the Deployment and the kube-dns
 * Service on `clusterDnsIp`. A pure function of its argument.
 */
export function coreDnsManifests(spec: CoreDnsSpec): ManifestObject[] {
  const chart = newChart("coredns");
  new kube.KubeServiceAccount(chart, "service-account", { metadata: { name: "coredns", namespace: NAMESPACE } });
  new kube.KubeClusterRole(chart, "cluster-role", {
    metadata: { name: "system:coredns" },
    rules: [
      { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ],
  });
  new kube.KubeClusterRoleBinding(chart, "cluster-role-binding", {
    metadata: { name: "system:coredns" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
    subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: NAMESPACE }],
  });
  new kube.KubeConfigMap(chart, "config", {
    metadata: { name: "coredns", namespace: NAMESPACE },
    data: { Corefile: renderCorefile(spec.clusterDomain) },
  });
  new kube.KubeDeployment(chart, "deployment", {
    metadata: { name: "coredns", namespace: NAMESPACE, labels: LABELS },
    spec: {
      replicas: spec.replicas ?? 2,
      selector: { matchLabels: LABELS },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: intOrString(1) } },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: "coredns",
          priorityClassName: "system-cluster-critical",
          dnsPolicy: "Default",
          nodeSelector: { "kubernetes.io/os": "linux" },
          tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: LABELS }, topologyKey: "kubernetes.io/hostname" } }],
            },
          },
          containers: [
            {
              name: "coredns",
              image: corednsImage(spec.version, spec.image),
              args: ["-conf", "/etc/coredns/Corefile"],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
              ],
              resources: { requests: quantities({ cpu: "100m", memory: "70Mi" }), limits: quantities({ memory: "170Mi" }) },
              livenessProbe: { httpGet: { path: "/health", port: intOrString(8080) }, initialDelaySeconds: 60, timeoutSeconds: 5, failureThreshold: 5 },
              readinessProbe: { httpGet: { path: "/ready", port: intOrString(8181) } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] } },
              volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
            },
          ],
          volumes: [{ name: "config", configMap: { name: "coredns", items: [{ key: "Corefile", path: "Corefile" }] } }],
        },
      },
    },
  });
  new kube.KubeService(chart, "service", {
    metadata: { name: "kube-dns", namespace: NAMESPACE, labels: { ...LABELS, "kubernetes.io/name": "CoreDNS" } },
    spec: {
      selector: LABELS,
      clusterIp: spec.clusterDnsIp,
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: intOrString(53) },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: intOrString(53) },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: intOrString(9153) },
      ],
    },
  });
  return renderChart(chart);
}
