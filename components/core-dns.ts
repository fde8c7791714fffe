/** CoreDNS, the cluster DNS: the kube-dns Service on `network.clusterDnsIp` and its Deployment, RBAC and Corefile. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface CoreDnsArgs {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The ClusterIP of the kube-dns Service (network.clusterDnsIp), which pods get as their nameserver. */
  readonly clusterDnsIp: string;
  /** The cluster DNS domain (network.clusterDomain). */
  readonly clusterDomain: string;
  /** The CoreDNS version (versions.coredns), e.g. 1.11.3. */
  readonly version: string;
  /** Image repository. @default "registry.k8s.io/coredns/coredns" */
  readonly image?: string;
  /** @default 2 */
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

export class CoreDns extends pulumi.ComponentResource {
  readonly serviceIp: pulumi.Output<string>;

  constructor(name: string, args: CoreDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:CoreDns", name, {}, opts);
    const o = { parent: this, provider: args.provider };
    const version = args.version.startsWith("v") ? args.version : `v${args.version}`;
    const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: "coredns", namespace: NAMESPACE } }, o);
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-role`,
      {
        metadata: { name: "system:coredns" },
        rules: [
          { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
          { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
        ],
      },
      o,
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-binding`,
      {
        metadata: { name: "system:coredns" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
        subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: NAMESPACE }],
      },
      { ...o, dependsOn: [role, account] },
    );
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { name: "coredns", namespace: NAMESPACE }, data: { Corefile: renderCorefile(args.clusterDomain) } }, o);
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "coredns", namespace: NAMESPACE, labels: LABELS },
        spec: {
          replicas: args.replicas ?? 2,
          selector: { matchLabels: LABELS },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
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
                  image: `${args.image ?? "registry.k8s.io/coredns/coredns"}:${version}`,
                  args: ["-conf", "/etc/coredns/Corefile"],
                  ports: [
                    { name: "dns", containerPort: 53, protocol: "UDP" },
                    { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                    { name: "metrics", containerPort: 9153, protocol: "TCP" },
                  ],
                  resources: { requests: { cpu: "100m", memory: "70Mi" }, limits: { memory: "170Mi" } },
                  livenessProbe: { httpGet: { path: "/health", port: 8080 }, initialDelaySeconds: 60, timeoutSeconds: 5, failureThreshold: 5 },
                  readinessProbe: { httpGet: { path: "/ready", port: 8181 } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] } },
                  volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
                },
              ],
              volumes: [{ name: "config", configMap: { name: "coredns", items: [{ key: "Corefile", path: "Corefile" }] } }],
            },
          },
        },
      },
      { ...o, dependsOn: [config, binding] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "kube-dns", namespace: NAMESPACE, labels: { ...LABELS, "kubernetes.io/name": "CoreDNS" } },
        spec: {
          selector: LABELS,
          clusterIP: args.clusterDnsIp,
          ports: [
            { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
            { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
            { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
          ],
        },
      },
      o,
    );
    this.serviceIp = service.spec.clusterIP;
    this.registerOutputs({ serviceIp: this.serviceIp });
  }
}
