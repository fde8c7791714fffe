// NodePool under mocks: kwok's RBAC and the simulated Nodes come from nodePoolManifests through registerObjects, and
// each keeps the name it had when the component made its resources itself as an alias, so an existing stack keeps
// its Node objects (and the pods kwok runs on them). Its manifests have a golden file (test/unit/charts/golden.test.ts).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nodePoolManifests } from "../../../components/charts/node-pool-chart";
import { NodePool } from "../../../components/node-pool";
import { simulatedHost as host, testHostKey } from "../hosts";
import { childrenOf, installMocks, nameAliases, recordAliases, renamesOf, settle } from "./mocks";

let pool: NodePool;
beforeAll(async () => {
  await installMocks();
  const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
  pool = new NodePool(
    "nodes",
    {
      provider,
      nodes: [host("w1", { labels: { storage: "ssd" } }), host("e1", { roles: ["edge"], taints: [{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }] })],
      kwokHost: host("m1", { address: "10.0.0.11", roles: ["master"], sshHostKey: testHostKey("m1"), simulated: false }),
      sshPrivateKey: pulumi.secret("key"),
      artifact: { url: "http://10.0.0.1/kwok.tar.gz", sha256: "f".repeat(64) },
      apiServerUrl: "https://10.0.0.100:6443",
      clusterName: "lab",
      caCert: "CA",
      clientCert: { cert: pulumi.output("CERT"), key: pulumi.secret("KEY") },
      podCidr: "10.244.0.0/16",
    },
    { transformations: [recordAliases] },
  );
  await settle();
});

const objects = () => childrenOf("nodes").filter((r) => r.type.startsWith("kubernetes:"));

test("each object is named by registerObjects and aliased to the name it had before", () => {
  // Only the name: the alias keeps the parent and the type, so the engine finds the object it already has.
  objects().forEach((r) => expect(nameAliases(r)).toEqual([{ name: expect.any(String) }]));
  expect(renamesOf(objects()).sort()).toEqual([
    "kubernetes:core/v1:Node nodes-e1 → nodes/e1",
    "kubernetes:core/v1:Node nodes-w1 → nodes/w1",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole nodes-kwok → nodes/onprem-k8s:kwok",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding nodes-kwok → nodes/onprem-k8s:kwok",
  ]);
});

test("the Nodes carry their hosts' labels and taints and kwok's annotation; the component hands them out by name", () => {
  const node = (name: string) => objects().find((r) => r.name === `nodes/${name}`)!.inputs;
  expect(node("w1").metadata.labels).toEqual({
    "kubernetes.io/hostname": "w1",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    type: "kwok",
    "node-role.kubernetes.io/worker": "",
    storage: "ssd",
  });
  expect(node("w1").metadata.annotations).toEqual({ "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" });
  expect(node("w1").spec).toEqual({ taints: [] });
  expect(node("e1").spec).toEqual({ taints: [{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }] });
  expect(Object.keys(pool.nodes).sort()).toEqual(["e1", "w1"]);
  expect(pool.nodes.w1).toBeInstanceOf(k8s.core.v1.Node);
});

test("kwok's ClusterRole is bound to its certificate's user", () => {
  const binding = nodePoolManifests([]).find((o) => o.kind === "ClusterRoleBinding") as any;
  expect(binding.subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "onprem-k8s:kwok" }]);
  expect(binding.roleRef.name).toBe("onprem-k8s:kwok");
});
