/**
 * Simulated worker and edge nodes: kwok runs as a systemd service on one host and keeps the Node objects that carry
 * its annotation Ready, and runs the pods scheduled onto them (no containers: their status is simulated). kwok's RBAC
 * and the Node objects, with the labels and taints of their hosts in config, come from charts/node-pool-chart.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { ArtifactSpec, HostSpec } from "../spec/cluster";
import { ManifestObject } from "./charts/chart-app";
import { nodePoolManifests } from "./charts/node-pool-chart";
import { HostArtifact } from "./host-artifact";
import { hostStep } from "./host/connection";
import { renderKubeconfig } from "./host/control-plane-scripts";
import { KWOK_KUBECONFIG_SECRET, renderKwok, renderKwokRemove } from "./host/kwok-scripts";
import { CertKeyPair } from "./cluster-pki";
import { dependsOnList, registerObjects } from "./k8s-objects";

export { KWOK_USER, nodeConfigLabels, nodeLabels, nodeTaints } from "./charts/node-pool-chart";

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
  /** The cluster's name, as kwok's kubeconfig names it. */
  readonly clusterName: string;
  /** The cluster CA certificate. */
  readonly caCert: pulumi.Input<string>;
  /** kwok's client certificate; its common name must be `KWOK_USER`. */
  readonly clientCert: CertKeyPair;
  /** The pod network. */
  readonly podCidr: string;
}

/** Each object's name before registerObjects named it: kwok's ClusterRole and binding `<pool>-kwok`, a Node `<pool>-<node>`. */
const previousName = (pool: string) => (o: ManifestObject) => (o.kind === "Node" ? `${pool}-${o.metadata.name}` : `${pool}-kwok`);

export class NodePool extends pulumi.ComponentResource {
  /** The Node objects, by name. */
  readonly nodes: Record<string, k8s.core.v1.Node>;
  /** kwok's step on its host. */
  readonly kwok: command.remote.Command;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:NodePool", name, {}, opts);
    const { provider, kwokHost, sshPrivateKey } = args;
    const objects = nodePoolManifests(args.nodes);
    const isNode = (o: ManifestObject) => o.kind === "Node";
    const common = { parent: this, provider, previousName: previousName(name) };
    const rbac = registerObjects(
      name,
      objects.filter((o) => !isNode(o)),
      { ...common, dependsOn: dependsOnList(opts) },
    );

    const binaries = new HostArtifact(`${name}-${kwokHost.name}-kwok`, { host: kwokHost, sshPrivateKey, name: "kwok", artifact: args.artifact, binaries: ["kwok"] }, { parent: this });
    const kwokScript = renderKwok({ host: { name: kwokHost.name, address: kwokHost.address }, releaseSha256: args.artifact.sha256, podCidr: args.podCidr });
    const secrets = pulumi.all([args.apiServerUrl, args.caCert, args.clientCert.cert, args.clientCert.key]).apply(([server, caCert, clientCert, clientKey]) => ({
      [KWOK_KUBECONFIG_SECRET]: renderKubeconfig({ clusterName: args.clusterName, server, caCert, user: "kwok", clientCert, clientKey }),
    }));
    this.kwok = hostStep(`${name}-${kwokHost.name}-kwok`, kwokHost, sshPrivateKey, kwokScript, {
      secrets,
      parent: this,
      dependsOn: [binaries.installed, ...rbac.map((r) => r.resource)],
      deleteScript: renderKwokRemove(kwokHost.name),
    });

    const nodes = registerObjects(name, objects.filter(isNode), { ...common, dependsOn: [this.kwok] });
    this.nodes = Object.fromEntries(nodes.map((r) => [r.object.metadata.name, r.resource as k8s.core.v1.Node]));
    this.registerOutputs({});
  }
}
