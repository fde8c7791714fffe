/**
 * Real worker and edge nodes over SSH: containerd (Debian's packages through apt, or the `containerd` and
 * `cniPlugins` releases), the kubelet and kube-proxy (from the `kubernetesNode` release) and flannel's CNI config.
 * The nodes change in batches, each after the previous batch takes pods again and the first after the control plane
 * is ready; a new kubelet version drains a node first. Their labels and taints are set through the API, since
 * NodeRestriction forbids a kubelet to set node-role labels.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { ArtifactSpec, HostSpec, NetworkPlan, SiteRegistry } from "../spec/cluster";
import { CertKeyPair, NodeCerts } from "./cluster-pki";
import { HostArtifact } from "./host-artifact";
import { hostStep } from "./host/connection";
import { kubectl } from "./host/control-plane-scripts";
import { NodeUpgradeArgs, renderNodeJoin, renderNodeLeave, renderNodeUpgradeDrain } from "./host/node-membership-scripts";
import { ArtifactVersion } from "./host/artifact-script";
import { printedVersion } from "./host/kubernetes-version";
import {
  CNI_BIN_DIR,
  CNI_PLUGINS,
  CONTAINERD_BINARIES,
  ContainerdSource,
  NODE_BINARIES,
  NODE_RELEASE,
  NodeCerts as NodeScriptCerts,
  NodeKeys,
  NodeSettings,
  renderNode,
  renderNodePackages,
  renderNodeRemove,
  renderNodeSecrets,
} from "./host/node-scripts";
import { nodeConfigLabels, nodeTaints } from "./node-pool";

/** How long a node that leaves or is upgraded may take to drain; a PodDisruptionBudget that holds its pods back longer fails the up. */
const NODE_DRAIN_TIMEOUT_SECONDS = 300;

export interface NodeBootstrapArgs {
  /** Provider of the cluster; it sets the nodes' labels and taints. */
  readonly provider: k8s.Provider;
  /**
   * What the first batch's kubelet steps wait for: the control plane's gate and the registry mirrors. Not the
   * component's `dependsOn`, which would hold back every child: the nodes' packages and binaries install while the
   * control plane comes up.
   */
  readonly kubeletsWaitFor: readonly pulumi.Resource[];
  /** The real worker and edge hosts, in a fixed order (changes roll in this order). */
  readonly nodes: readonly HostSpec[];
  /**
   * A master, with kubectl and the admin kubeconfig, through which a node is drained before its kubelet is upgraded
   * and uncordoned after, a node that joins is uncordoned, and one that leaves the config is cordoned, drained and
   * deleted before its kubelet stops. @default nodes upgrade and leave without a drain
   */
  readonly membershipHost?: HostSpec;
  /**
   * How many nodes change at once, a positive whole number: a batch starts once every node of the previous batch has
   * a healthy kubelet and its Node, so a change that breaks nodes stops after one batch.
   */
  readonly batchSize: number;
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The kubernetes-node release (.tar.gz with `kubelet` and `kube-proxy`, anywhere in it). */
  readonly artifact: ArtifactSpec;
  /**
   * The release's version, such as v1.35.4 (versions.kubernetes): the install checks that `artifact` holds it. A node
   * whose kubelet runs another version is drained before its kubelet step and uncordoned after, with a membership host.
   */
  readonly version: string;
  /**
   * A containerd release (.tar.gz with `containerd`, `containerd-shim-runc-v2`, `ctr` and `runc`), run by a unit of
   * onprem-k8s's. Without it the nodes install Debian's containerd, runc and CNI plugins through apt. @default none
   */
  readonly containerdArtifact?: ArtifactSpec;
  /** With `containerdArtifact`: the CNI plugins release (.tar.gz with `bridge`, `host-local`, `loopback`, `portmap`), linked into /opt/cni/bin. @default none */
  readonly cniPluginsArtifact?: ArtifactSpec;
  /** The site's apt source (a sources.list line) for Debian's node packages; the hosts' own sources without it. @default none */
  readonly aptSource?: string;
  /** kube-proxy's conntrack.maxPerCore; 0 leaves the hosts' conntrack table size alone. @default kube-proxy's own */
  readonly kubeProxyConntrackMaxPerCore?: number;
  /** The kubelets' evictionHard thresholds by signal; they replace the kubelet's defaults. @default the kubelet's own */
  readonly kubeletEvictionHard?: Readonly<Record<string, string>>;
  /** KubeletConfiguration's failCgroupV1: false lets kubelets from v1.35 run on hosts with cgroup v1. @default the kubelet's own */
  readonly kubeletFailCgroupV1?: boolean;
  /** `https://HOST:6443` of the API (the VIP). */
  readonly apiServerUrl: pulumi.Input<string>;
  /** Names the cluster in the kubeconfigs. */
  readonly clusterName: string;
  /** The cluster CA certificate. */
  readonly caCert: pulumi.Input<string>;
  /** The kubelet certificates per node name (ClusterPki's `kubernetes.nodes`); every node needs its entry. */
  readonly nodeCerts: Readonly<Record<string, NodeCerts>>;
  /** kube-proxy's client certificate, CN `system:kube-proxy` (ClusterPki's `kubernetes.kubeProxy`). */
  readonly kubeProxyCert: CertKeyPair;
  /** The site's registries that containerd reaches over plain HTTP or with a private CA. @default [] */
  readonly registries?: readonly SiteRegistry[];
  /** The pod network (kube-proxy's cluster CIDR) and the cluster DNS the kubelet gives pods. */
  readonly network: Pick<NetworkPlan, "podCidr" | "clusterDnsIp" | "clusterDomain">;
}

/** A route to one node's pods for a host outside the cluster. */
export interface PodRoute {
  readonly node: string;
  /** The node's pod subnet (its Node's spec.podCIDR). */
  readonly subnet: string;
  /** The node's address. */
  readonly via: string;
}

export class NodeBootstrap extends pulumi.ComponentResource {
  /** Each node's kubelet step, by name: it finishes once the kubelet is healthy and its Node Ready with a pod subnet. */
  readonly steps: Record<string, command.remote.Command> = {};
  /** Each node's labels and taints, set through the API once its Node is Ready, by name. */
  readonly nodes: Record<string, k8s.core.v1.NodePatch> = {};
  /** The first batch's Nodes, with their labels and taints: workloads can be scheduled once they are there. */
  readonly firstBatch: k8s.core.v1.NodePatch[];
  /**
   * Seed 000's outside route: each node's pod subnet and the node address a host outside the cluster routes it
   * through (`ip route add SUBNET via VIA`), in the nodes' order.
   */
  readonly podRoutes: pulumi.Output<PodRoute[]>;

  constructor(name: string, args: NodeBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:NodeBootstrap", name, {}, opts);
    const { nodes } = args;
    const missing = nodes.filter((h) => args.nodeCerts[h.name] === undefined).map((h) => h.name);
    if (missing.length > 0) throw new Error(`NodeBootstrap ${name}: no kubelet certificates for ${missing.join(", ")}; give ClusterPki's kubernetes.nodes every node`);
    const containerd: ContainerdSource = args.containerdArtifact ? { kind: "release" } : { kind: "packages", aptSource: args.aptSource };
    const settings = pulumi.output(args.apiServerUrl).apply((server): NodeSettings => ({
      clusterName: args.clusterName,
      server,
      podCidr: args.network.podCidr,
      clusterDnsIp: args.network.clusterDnsIp,
      clusterDomain: args.network.clusterDomain,
      containerd,
      kubeProxyConntrackMaxPerCore: args.kubeProxyConntrackMaxPerCore,
      kubeletEvictionHard: args.kubeletEvictionHard,
      kubeletFailCgroupV1: args.kubeletFailCgroupV1,
      version: args.version,
      releaseSha256: args.artifact.sha256,
      registries: args.registries ?? [],
    }));

    const membership = (host: HostSpec) =>
      pulumi.output(args.apiServerUrl).apply((server) => ({ node: host.name, kubectl: kubectl(server), drainTimeoutSeconds: NODE_DRAIN_TIMEOUT_SECONDS, version: args.version }));

    // In batches, the first after kubeletsWaitFor (the control plane's gate), each after the previous batch's nodes take
    // pods again: a change restarts the daemons of one batch of nodes at a time, and stops at the first batch where a node
    // fails. An upgrade drains a batch's nodes before their kubelet steps and uncordons them after.
    let previous: pulumi.Resource[] = [...args.kubeletsWaitFor];
    for (let first = 0; first < nodes.length; first += args.batchSize) {
      previous = nodes.slice(first, first + args.batchSize).map((host) => this.node(name, host, args, settings, containerd, membership(host), previous));
    }
    // The controller-manager gives each Node its subnet when it registers; the node's step waits for it.
    this.podRoutes = pulumi.all(nodes.map((host) => this.nodes[host.name].spec.apply((spec) => ({ node: host.name, subnet: spec?.podCIDR ?? "", via: host.address }))));
    this.firstBatch = nodes.slice(0, args.batchSize).map((host) => this.nodes[host.name]);
    this.registerOutputs({ podRoutes: this.podRoutes });
  }

  /**
   * One node: its binaries; with a membership host, the drain before an upgrade; its kubelet step after `previous`;
   * its labels and taints; and with a membership host, its uncordon. Returns what the next batch waits for.
   */
  private node(
    name: string,
    host: HostSpec,
    args: NodeBootstrapArgs,
    settings: pulumi.Output<NodeSettings>,
    containerd: ContainerdSource,
    membership: pulumi.Output<NodeUpgradeArgs>,
    previous: readonly pulumi.Resource[],
  ): pulumi.Resource {
    const { sshPrivateKey, provider, membershipHost } = args;
    const install = (id: string, artifactName: string, artifact: ArtifactSpec, binaries: readonly string[], options: { binDir?: string; version?: ArtifactVersion } = {}) =>
      new HostArtifact(`${name}-${host.name}-${id}`, { host, sshPrivateKey, name: artifactName, artifact, binaries, ...options }, { parent: this }).installed;
    const installed = [
      install("kubernetes-node", NODE_RELEASE, args.artifact, NODE_BINARIES, { version: { binary: "kubelet", expected: printedVersion(args.version), configKey: "versions.kubernetes" } }),
      ...(args.containerdArtifact ? [install("containerd", "containerd", args.containerdArtifact, CONTAINERD_BINARIES)] : []),
      ...(args.cniPluginsArtifact ? [install("cni-plugins", "cniPlugins", args.cniPluginsArtifact, CNI_PLUGINS, { binDir: CNI_BIN_DIR })] : []),
      ...(containerd.kind === "packages" ? [hostStep(`${name}-${host.name}-packages`, host, sshPrivateKey, renderNodePackages(host.name, containerd.aptSource), { parent: this })] : []),
    ];
    const drain = membershipHost
      ? [hostStep(`${name}-${host.name}-upgrade-drain`, membershipHost, sshPrivateKey, membership.apply(renderNodeUpgradeDrain), { parent: this, dependsOn: [...previous] })]
      : [];
    const certs = args.nodeCerts[host.name];
    const node = { name: host.name, address: host.address, taints: nodeTaints(host) };
    const nodeCerts: pulumi.Output<NodeScriptCerts> = pulumi.output({
      caCert: args.caCert,
      kubeletClientCert: certs.client.cert,
      kubeletServingCert: certs.serving.cert,
      kubeProxyCert: args.kubeProxyCert.cert,
    });
    const nodeKeys: pulumi.Output<NodeKeys> = pulumi.output({ kubeletClientKey: certs.client.key, kubeletServingKey: certs.serving.key, kubeProxyKey: args.kubeProxyCert.key });
    const nodeScript = pulumi.all([settings, nodeCerts]).apply(([s, pki]) => renderNode({ host: node, settings: s, pki }));
    const secrets = pulumi.all([settings, nodeCerts, nodeKeys]).apply(([s, certs, keys]) => renderNodeSecrets({ host: node, settings: s, pki: { ...certs, ...keys } }));
    const step = hostStep(`${name}-${host.name}-kubelet`, host, sshPrivateKey, nodeScript, {
      secrets,
      parent: this,
      deleteScript: renderNodeRemove(host.name, containerd),
      dependsOn: [...installed, ...drain, ...previous],
    });
    this.steps[host.name] = step;
    const taints = nodeTaints(host);
    // A patch of the Node its kubelet registered and owns, not an object of ours: no chart, no registerObjects.
    const patch = new k8s.core.v1.NodePatch(
      `${name}-${host.name}`,
      {
        metadata: {
          name: host.name,
          labels: nodeConfigLabels(host),
          // spec.taints is an atomic list that the node lifecycle controller also writes: config wins.
          annotations: { "pulumi.com/patchForce": "true" },
        },
        // No taints in config: leave the list to the controllers.
        ...(taints.length > 0 ? { spec: { taints } } : {}),
      },
      // A node that leaves loses its Node through the membership step below. Deleting the patch would apply it
      // once more, by server-side apply, and so make the Node anew: it is left to go with the Node.
      { parent: this, provider, dependsOn: [step], retainOnDelete: membershipHost !== undefined },
    );
    this.nodes[host.name] = patch;
    if (!membershipHost) return patch;
    // After its NodePatch, so that on removal the drain and the Node's deletion come before the kubelet stops.
    return hostStep(`${name}-${host.name}-membership`, membershipHost, sshPrivateKey, membership.apply(renderNodeJoin), {
      parent: this,
      dependsOn: [patch],
      deleteScript: membership.apply(renderNodeLeave),
    });
  }
}
