import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { CNI_CONFLIST, FLANNEL_CNI_CONF } from "../host/node-scripts";
import { flannelImages } from "../../spec/images";

const kube = kplus.k8s;

export { DEFAULT_FLANNEL_CNI_PLUGIN_VERSION, DEFAULT_FLANNEL_VERSION } from "../../spec/images";

/** Flannel backends that need no settings beyond their type. */
export type FlannelBackendType = "vxlan" | "host-gw" | "wireguard" | "udp" | "ipip";

/** Requests and limits of a container, as quantities such as `100m` or `50Mi`. */
export interface FlannelResources {
  /** What the scheduler reserves. */
  readonly requests: { cpu: string; memory: string };
  /** What the container may use at most. */
  readonly limits: { cpu: string; memory: string };
}

/** What flannel is rendered from. */
export interface FlannelSpec {
  /** The pod network (network.podCidr), e.g. 10.244.0.0/16: net-conf.json's `Network`. */
  readonly podCidr: string;
  /**
   * Prefix length of each node's slice of the pod network (network.nodeSubnetLength): net-conf.json's `SubnetLen`.
   * Must match the controller-manager's `--node-cidr-mask-size`, which allocates the slices.
   */
  readonly nodeSubnetLength: number;
  /** The flannel version (versions.flannel), with or without a leading v. @default "0.26.1" */
  readonly version?: string;
  /** The flannel-cni-plugin image tag, with or without a leading v. @default "v1.5.1-flannel2" */
  readonly cniPluginVersion?: string;
  /**
   * Registry (and optional path prefix) the images come from, e.g. `registry.example.internal:5000/mirror` for an
   * air-gapped site; the images are `<imageRegistry>/flannel/flannel` and `<imageRegistry>/flannel/flannel-cni-plugin`.
   * @default "docker.io"
   */
  readonly imageRegistry?: string;
  /** The flannel backend: net-conf.json's `Backend.Type`. @default "vxlan" */
  readonly backendType?: FlannelBackendType;
  /**
   * Resources of the flanneld container. @default requests cpu 100m, memory 50Mi (upstream); limits cpu 500m,
   * memory 256Mi (the policy pack asks every container for limits)
   */
  readonly resources?: FlannelResources;
}

export const FLANNEL_NAMESPACE = "kube-flannel";
const CONFIG_MAP = "kube-flannel-cfg";
const NODE_LABELS = { tier: "node", app: "flannel" };

/** net-conf.json: flanneld's network, node subnet length and backend. */
export function renderNetConf(podCidr: string, nodeSubnetLength: number, backendType: FlannelBackendType = "vxlan"): string {
  return `${JSON.stringify({ Network: podCidr, SubnetLen: nodeSubnetLength, Backend: { Type: backendType } }, null, 2)}\n`;
}

function requirements(resources: FlannelResources): kplus.k8s.ResourceRequirements {
  const quantities = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, kube.Quantity.fromString(v)]));
  return { requests: quantities(resources.requests), limits: quantities(resources.limits) };
}

/**
 * Renders flannel's cluster side as in flannel v0.26's kube-flannel.yml: the kube-flannel namespace, RBAC, net-conf and
 * the kube-flannel-ds DaemonSet. A pure function of its argument.
 */
export function flannelManifests(spec: FlannelSpec): ManifestObject[] {
  const { flannel: flannelImage, cniPlugin: cniPluginImage } = flannelImages(spec.version, spec.cniPluginVersion, spec.imageRegistry);
  // The init containers only copy files: small resources, set so the policy pack's limits rule holds.
  const copyResources = requirements({ requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
  const namespace = FLANNEL_NAMESPACE;
  const chart = newChart("flannel");
  new kube.KubeNamespace(chart, "namespace", {
    // flanneld needs hostNetwork, hostPath and NET_ADMIN, which only the privileged Pod Security level admits.
    metadata: { name: namespace, labels: { "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" } },
  });
  new kube.KubeServiceAccount(chart, "service-account", { metadata: { name: "flannel", namespace, labels: { "k8s-app": "flannel" } } });
  new kube.KubeClusterRole(chart, "cluster-role", {
    metadata: { name: "flannel", labels: { "k8s-app": "flannel" } },
    rules: [
      { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
    ],
  });
  new kube.KubeClusterRoleBinding(chart, "cluster-role-binding", {
    metadata: { name: "flannel", labels: { "k8s-app": "flannel" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "flannel" },
    subjects: [{ kind: "ServiceAccount", name: "flannel", namespace }],
  });
  new kube.KubeConfigMap(chart, "config", {
    metadata: { name: CONFIG_MAP, namespace, labels: { ...NODE_LABELS, "k8s-app": "flannel" } },
    data: { "cni-conf.json": FLANNEL_CNI_CONF, "net-conf.json": renderNetConf(spec.podCidr, spec.nodeSubnetLength, spec.backendType) },
  });
  new kube.KubeDaemonSet(chart, "daemon-set", {
    metadata: { name: "kube-flannel-ds", namespace, labels: { ...NODE_LABELS, "k8s-app": "flannel" } },
    spec: {
      selector: { matchLabels: { app: "flannel" } },
      template: {
        metadata: { labels: NODE_LABELS },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] }],
              },
            },
          },
          hostNetwork: true,
          priorityClassName: "system-node-critical",
          // Every node needs the pod network, whatever it is tainted for.
          tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
          serviceAccountName: "flannel",
          initContainers: [
            {
              name: "install-cni-plugin",
              image: cniPluginImage,
              command: ["cp"],
              args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
              resources: copyResources,
              volumeMounts: [{ name: "cni-plugin", mountPath: "/opt/cni/bin" }],
            },
            {
              name: "install-cni",
              image: flannelImage,
              command: ["cp"],
              args: ["-f", "/etc/kube-flannel/cni-conf.json", CNI_CONFLIST],
              resources: copyResources,
              volumeMounts: [
                { name: "cni", mountPath: "/etc/cni/net.d" },
                { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
              ],
            },
          ],
          containers: [
            {
              name: "kube-flannel",
              image: flannelImage,
              command: ["/opt/bin/flanneld"],
              args: ["--ip-masq", "--kube-subnet-mgr"],
              resources: requirements(spec.resources ?? { requests: { cpu: "100m", memory: "50Mi" }, limits: { cpu: "500m", memory: "256Mi" } }),
              securityContext: { privileged: false, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: "EVENT_QUEUE_DEPTH", value: "5000" },
              ],
              volumeMounts: [
                { name: "run", mountPath: "/run/flannel" },
                { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
                { name: "xtables-lock", mountPath: "/run/xtables.lock" },
              ],
            },
          ],
          volumes: [
            { name: "run", hostPath: { path: "/run/flannel" } },
            { name: "cni-plugin", hostPath: { path: "/opt/cni/bin" } },
            { name: "cni", hostPath: { path: "/etc/cni/net.d" } },
            { name: "flannel-cfg", configMap: { name: CONFIG_MAP } },
            { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
          ],
        },
      },
    },
  });
  return renderChart(chart);
}
