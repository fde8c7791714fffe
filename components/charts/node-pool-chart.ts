import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from "../host/kwok-scripts";
import { HostSpec } from "../../spec/cluster";

const kube = kplus.k8s;

/** The user name of kwok's client certificate; its ClusterRole is bound to it. */
export const KWOK_USER = "onprem-k8s:kwok";

/** What onprem-k8s sets on every node, real or simulated: the role labels of the host's roles, then its own labels. */
export function nodeConfigLabels(host: HostSpec): Record<string, string> {
  return {
    ...Object.fromEntries(host.roles.map((r) => [`node-role.kubernetes.io/${r}`, ""])),
    ...host.labels,
  };
}

/** The host's taints from config, as Node spec.taints. */
export function nodeTaints(host: HostSpec): { key: string; value?: string; effect: string }[] {
  return host.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect }));
}

/** A simulated node's labels: those a kubelet would give itself, kwok's `type`, then `nodeConfigLabels`. */
export function nodeLabels(host: HostSpec): Record<string, string> {
  return {
    "kubernetes.io/hostname": host.name,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    type: "kwok",
    ...nodeConfigLabels(host),
  };
}

/**
 * Renders kwok's ClusterRole and its binding to `KWOK_USER`, then one Node per simulated host with the host's labels
 * and taints and the annotation that hands it to kwok. A pure function of its argument.
 */
export function nodePoolManifests(nodes: readonly HostSpec[]): ManifestObject[] {
  const chart = newChart("node-pool");
  // What kwok's own deployment grants it (kustomize/rbac in sigs.k8s.io/kwok), minus its custom resources.
  new kube.KubeClusterRole(chart, "kwok-role", {
    metadata: { name: "onprem-k8s:kwok" },
    rules: [
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "update", "get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes/status", "pods/status"], verbs: ["patch", "update"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["delete", "get", "list", "patch", "update", "watch"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create", "get", "list", "patch", "update", "watch"] },
    ],
  });
  new kube.KubeClusterRoleBinding(chart, "kwok-binding", {
    metadata: { name: "onprem-k8s:kwok" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "onprem-k8s:kwok" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: KWOK_USER }],
  });
  for (const host of nodes) {
    new kube.KubeNode(chart, `node-${host.name}`, {
      metadata: {
        name: host.name,
        labels: nodeLabels(host),
        // ttl 0: nothing caches the node object for a kubelet that is not there.
        annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, "node.alpha.kubernetes.io/ttl": "0" },
      },
      spec: { taints: nodeTaints(host) },
    });
  }
  return renderChart(chart);
}
