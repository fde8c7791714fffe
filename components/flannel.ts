/**
 * Flannel, the pod network's cluster side: the kube-flannel namespace, RBAC, net-conf and the kube-flannel-ds
 * DaemonSet that installs the CNI plugin and config on every Linux node and runs flanneld. Modelled on the upstream
 * kube-flannel.yml of flannel v0.26.x; the node subnets come from the controller-manager (`--kube-subnet-mgr`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parseCidr, splitsIntoNodeSubnets } from "../spec/cidr";
import { FLANNEL_NAMESPACE, flannelManifests, FlannelSpec } from "./charts/flannel-chart";
import { dependsOnList, registerObjects } from "./k8s-objects";

export { DEFAULT_FLANNEL_CNI_PLUGIN_VERSION, DEFAULT_FLANNEL_VERSION, FLANNEL_NAMESPACE, flannelManifests, renderNetConf } from "./charts/flannel-chart";
export type { FlannelBackendType, FlannelSpec } from "./charts/flannel-chart";

/** Arguments of Flannel: the chart spec (see FlannelSpec for each field) plus the provider. */
export interface FlannelArgs extends FlannelSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
}

/** Argument problems that would otherwise give every node a broken pod network. */
export function flannelArgsProblems(args: Pick<FlannelArgs, "podCidr" | "nodeSubnetLength">): string[] {
  const cidr = parseCidr(args.podCidr);
  const problems: string[] = [];
  if (!cidr) problems.push(`podCidr: "${args.podCidr}" is not an IPv4 network; give it as a.b.c.d/n with no host bits set.`);
  if (!splitsIntoNodeSubnets(cidr, args.nodeSubnetLength)) {
    problems.push(`nodeSubnetLength: ${args.nodeSubnetLength} does not split the pod network into node subnets; give a prefix length longer than the pod network's and at most 30.`);
  }
  return problems;
}

export class Flannel extends pulumi.ComponentResource {
  /** The namespace flannel runs in. */
  readonly namespace: string = FLANNEL_NAMESPACE;

  constructor(name: string, args: FlannelArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = flannelArgsProblems(args);
    if (problems.length > 0) {
      throw new Error(`Flannel "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    }
    super("onprem-k8s:index:Flannel", name, {}, opts);
    const { provider, ...spec } = args;
    registerObjects(name, flannelManifests(spec), { parent: this, provider, dependsOn: dependsOnList(opts) });
    this.registerOutputs({ namespace: this.namespace });
  }
}
