/**
 * Simulated worker and edge nodes: kwok runs as a systemd service on one host and keeps the Node objects that carry
 * its annotation Ready, and runs the pods scheduled onto them (no containers: their status is simulated). The Node
 * objects are made through the Kubernetes provider with the labels and taints of their hosts in config.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { ArtifactSpec, HostSpec } from "../spec/cluster";
import { HostArtifact } from "./host-artifact";
import { hostStep } from "./host/connection";
import { renderKubeconfig } from "./host/control-plane-scripts";
import { KWOK_KUBECONFIG_SECRET, KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE, renderKwok, renderKwokRemove } from "./host/kwok-scripts";
import { CertKeyPair } from "./cluster-pki";

/** The user name of kwok's client certificate; its ClusterRole is bound to it. */
export const KWOK_USER = "onprem-k8s:kwok";

export interface NodePoolArgs {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The nodes to simulate (hosts with `simulated: true`). */
  readonly nodes: readonly HostSpec[];
  /** The real host that runs kwok. */
  readonly kwokHost: HostSpec;
  /** SSH private key for the kwok host (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The kwok release (.tar.gz with `kwok` and `share/kwok/stages-fast.yaml`). */
  readonly artifact: ArtifactSpec;
  /** `https://HOST:6443` of the API (the VIP). */
  readonly apiServerUrl: pulumi.Input<string>;
  readonly clusterName: string;
  /** The cluster CA certificate. */
  readonly caCert: pulumi.Input<string>;
  /** kwok's client certificate; its common name must be `KWOK_USER`. */
  readonly clientCert: CertKeyPair;
  /** The pod network. */
  readonly podCidr: string;
}

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

export class NodePool extends pulumi.ComponentResource {
  /** The Node objects, by name. */
  readonly nodes: Record<string, k8s.core.v1.Node>;
  /** kwok's step on its host. */
  readonly kwok: command.remote.Command;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:NodePool", name, {}, opts);
    const { provider, kwokHost, sshPrivateKey } = args;
    const k8sOpts = { parent: this, provider };
    // What kwok's own deployment grants it (kustomize/rbac in sigs.k8s.io/kwok), minus its custom resources.
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-kwok`,
      {
        metadata: { name: "onprem-k8s:kwok" },
        rules: [
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "update", "get", "list", "watch"] },
          { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["nodes/status", "pods/status"], verbs: ["patch", "update"] },
          { apiGroups: [""], resources: ["pods"], verbs: ["delete", "get", "list", "patch", "update", "watch"] },
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create", "get", "list", "patch", "update", "watch"] },
        ],
      },
      k8sOpts,
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-kwok`,
      {
        metadata: { name: "onprem-k8s:kwok" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "onprem-k8s:kwok" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: KWOK_USER }],
      },
      { ...k8sOpts, dependsOn: [role] },
    );

    const binaries = new HostArtifact(`${name}-${kwokHost.name}-kwok`, { host: kwokHost, sshPrivateKey, name: "kwok", artifact: args.artifact, binaries: ["kwok"] }, { parent: this });
    const kwokScript = renderKwok({ host: { name: kwokHost.name, address: kwokHost.address }, releaseSha256: args.artifact.sha256, podCidr: args.podCidr });
    const secrets = pulumi
      .all([args.apiServerUrl, args.caCert, args.clientCert.cert, args.clientCert.key])
      .apply(([server, caCert, clientCert, clientKey]) => ({
        [KWOK_KUBECONFIG_SECRET]: renderKubeconfig({ clusterName: args.clusterName, server, caCert, user: "kwok", clientCert, clientKey }),
      }));
    this.kwok = hostStep(`${name}-${kwokHost.name}-kwok`, kwokHost, sshPrivateKey, kwokScript, {
      secrets,
      parent: this,
      dependsOn: [binaries.installed, binding],
      deleteScript: renderKwokRemove(kwokHost.name),
    });

    this.nodes = Object.fromEntries(
      args.nodes.map((host) => [
        host.name,
        new k8s.core.v1.Node(
          `${name}-${host.name}`,
          {
            metadata: {
              name: host.name,
              labels: nodeLabels(host),
              // ttl 0: nothing caches the node object for a kubelet that is not there.
              annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, "node.alpha.kubernetes.io/ttl": "0" },
            },
            spec: { taints: nodeTaints(host) },
          },
          { ...k8sOpts, dependsOn: [this.kwok] },
        ),
      ]),
    );
    this.registerOutputs({});
  }
}
