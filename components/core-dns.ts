/** CoreDNS, the cluster DNS: the kube-dns Service on `network.clusterDnsIp` and its Deployment, RBAC and Corefile. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { coreDnsManifests, CoreDnsSpec } from "./charts/coredns-chart";
import { ManifestObject } from "./charts/chart-app";
import { dependsOnList, registerObjects } from "./k8s-objects";

export { renderCorefile } from "./charts/coredns-chart";
export type { CoreDnsSpec } from "./charts/coredns-chart";

/** Arguments of CoreDns: the chart spec (see CoreDnsSpec for each field) plus the provider. */
export interface CoreDnsArgs extends CoreDnsSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
}

/** The names CoreDns gave its objects before registerObjects named them, by kind: `<component>-<suffix>`. */
const PREVIOUS_SUFFIX: Record<string, string> = {
  ServiceAccount: "sa",
  ClusterRole: "role",
  ClusterRoleBinding: "binding",
  ConfigMap: "config",
  Deployment: "deployment",
  Service: "service",
};

export class CoreDns extends pulumi.ComponentResource {
  /** The ClusterIP of the kube-dns Service. */
  readonly serviceIp: pulumi.Output<string>;

  constructor(name: string, args: CoreDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:CoreDns", name, {}, opts);
    const { provider, ...spec } = args;
    const common = { parent: this, provider, previousName: (o: ManifestObject) => `${name}-${PREVIOUS_SUFFIX[o.kind]}` };
    const objects = coreDnsManifests(spec);
    const isDeployment = (o: ManifestObject) => o.kind === "Deployment";
    const others = registerObjects(
      name,
      objects.filter((o) => !isDeployment(o)),
      { ...common, dependsOn: dependsOnList(opts) },
    );
    // The pods start once their account, its RBAC and the Corefile exist.
    const podNeeds = others.filter((r) => r.object.kind !== "Service").map((r) => r.resource);
    registerObjects(name, objects.filter(isDeployment), { ...common, dependsOn: [...dependsOnList(opts), ...podNeeds] });
    const service = others.find((r) => r.object.kind === "Service")!.resource as k8s.core.v1.Service;
    this.serviceIp = service.spec.clusterIP;
    this.registerOutputs({ serviceIp: this.serviceIp });
  }
}
