// CoreDns under mocks: its objects come from coreDnsManifests through registerObjects, and each keeps the name it had
// when the component made its resources itself as an alias, so an existing stack keeps CoreDNS running. Its manifests
// have a golden file (test/unit/charts/golden.test.ts), which a real apiserver checks (test/support/local-apiserver.test.sh).
import * as k8s from "@pulumi/kubernetes";
import { coreDnsManifests } from "../../../components/charts/coredns-chart";
import { CoreDns } from "../../../components/core-dns";
import { childrenOf, installMocks, nameAliases, recordAliases, renamesOf, settle, valueOf } from "./mocks";

let coreDns: CoreDns;
beforeAll(async () => {
  await installMocks();
  const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
  coreDns = new CoreDns("coredns", { provider, clusterDnsIp: "10.96.0.10", clusterDomain: "cluster.local", version: "1.11.3" }, { transformations: [recordAliases] });
  await settle();
});

const input = (type: string, name: string) => childrenOf("coredns").find((r) => r.type === type && r.name === name)!.inputs;

test("each object is named by registerObjects and aliased to the name it had before", () => {
  expect(renamesOf(childrenOf("coredns")).sort()).toEqual([
    "kubernetes:apps/v1:Deployment coredns-deployment → coredns/kube-system/coredns",
    "kubernetes:core/v1:ConfigMap coredns-config → coredns/kube-system/coredns",
    "kubernetes:core/v1:Service coredns-service → coredns/kube-system/kube-dns",
    "kubernetes:core/v1:ServiceAccount coredns-sa → coredns/kube-system/coredns",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole coredns-role → coredns/system:coredns",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding coredns-binding → coredns/system:coredns",
  ]);
  // Only the name: the alias keeps the parent and the type, so the engine finds the object it already has.
  for (const r of childrenOf("coredns")) expect(nameAliases(r)).toContainEqual({ name: expect.any(String) });
});

test("kube-dns serves on the given ClusterIP, which the component hands out", async () => {
  expect(input("kubernetes:core/v1:Service", "coredns/kube-system/kube-dns").spec.clusterIP).toBe("10.96.0.10");
  expect(await valueOf(coreDns.serviceIp)).toBe("10.96.0.10");
});

test("the Deployment runs the given version with the Corefile for the cluster domain", () => {
  const pod = input("kubernetes:apps/v1:Deployment", "coredns/kube-system/coredns").spec.template.spec;
  expect(pod.containers[0].image).toBe("registry.k8s.io/coredns/coredns:v1.11.3");
  expect(input("kubernetes:core/v1:ConfigMap", "coredns/kube-system/coredns").data.Corefile).toContain("kubernetes cluster.local in-addr.arpa ip6.arpa {");
});

test("another image repository, a version with its v, and more replicas", () => {
  const objects = coreDnsManifests({ clusterDnsIp: "10.32.0.53", clusterDomain: "example.internal", version: "v1.12.0", image: "mirror.internal/coredns", replicas: 3 });
  const deployment = objects.find((o) => o.kind === "Deployment") as any;
  expect([deployment.spec.replicas, deployment.spec.template.spec.containers[0].image]).toEqual([3, "mirror.internal/coredns:v1.12.0"]);
});
