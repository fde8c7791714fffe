// Flannel under mocks: its objects, net-conf derived from the pod network, tolerations and images. Its manifests
// have golden files (test/unit/charts/fixtures.ts), which a real apiserver checks (test/support/local-apiserver.test.sh).
import * as k8s from "@pulumi/kubernetes";
import { Flannel, flannelManifests, renderNetConf } from "../../../components/flannel";
import { childrenOf, installMocks, RecordedResource, settle } from "./mocks";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
  new Flannel("flannel", { provider, podCidr: "10.244.0.0/16", nodeSubnetLength: 24 });
  new Flannel("flannel-site", {
    provider,
    podCidr: "172.20.0.0/14",
    nodeSubnetLength: 22,
    version: "v0.26.4",
    cniPluginVersion: "1.6.0-flannel1",
    imageRegistry: "registry.example.internal:5000/mirror/",
    backendType: "host-gw",
  });
  await settle();
});

const object = (component: string, type: string) => childrenOf(component).find((r) => r.type === type)!;
const podSpec = (component: string) => object(component, "kubernetes:apps/v1:DaemonSet").inputs.spec.template.spec;
const images = (component: string) => {
  const spec = podSpec(component);
  return [...spec.initContainers, ...spec.containers].map((c: { name: string; image: string }) => `${c.name} ${c.image}`);
};

describe("renderNetConf", () => {
  test("the pod network and node subnet length, vxlan by default", () => {
    expect(renderNetConf("10.244.0.0/16", 24)).toBe(`{
  "Network": "10.244.0.0/16",
  "SubnetLen": 24,
  "Backend": {
    "Type": "vxlan"
  }
}
`);
  });

  test("another network, subnet length and backend", () => {
    expect(renderNetConf("172.20.0.0/14", 22, "host-gw")).toBe(`{
  "Network": "172.20.0.0/14",
  "SubnetLen": 22,
  "Backend": {
    "Type": "host-gw"
  }
}
`);
  });
});

describe("Flannel", () => {
  test("the namespace, RBAC, ConfigMap and DaemonSet, through the given provider", () => {
    const children = childrenOf("flannel");
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "kubernetes:apps/v1:DaemonSet flannel/kube-flannel/kube-flannel-ds",
      "kubernetes:core/v1:ConfigMap flannel/kube-flannel/kube-flannel-cfg",
      "kubernetes:core/v1:Namespace flannel/kube-flannel",
      "kubernetes:core/v1:ServiceAccount flannel/kube-flannel/flannel",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole flannel/flannel",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding flannel/flannel",
    ]);
    children.forEach((r: RecordedResource) => expect(r.provider).toContain("::cluster::"));
  });

  test("the namespace admits privileged pods; the ClusterRole grants what flanneld needs, bound to its account", () => {
    expect(object("flannel", "kubernetes:core/v1:Namespace").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(object("flannel", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").inputs.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
    ]);
    const binding = object("flannel", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").inputs;
    expect(binding.roleRef.name).toBe("flannel");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "flannel", namespace: "kube-flannel" }]);
  });

  test("net-conf.json comes from the given pod network and subnet length", () => {
    const data = (component: string) => object(component, "kubernetes:core/v1:ConfigMap").inputs.data;
    expect(data("flannel")["net-conf.json"]).toBe(renderNetConf("10.244.0.0/16", 24));
    expect(JSON.parse(data("flannel-site")["net-conf.json"])).toEqual({ Network: "172.20.0.0/14", SubnetLen: 22, Backend: { Type: "host-gw" } });
    expect(JSON.parse(data("flannel")["cni-conf.json"]).plugins.map((p: { type: string }) => p.type)).toEqual(["flannel", "portmap"]);
  });

  test("runs on every Linux node, tainted or not, in the host network, as node-critical", () => {
    const spec = podSpec("flannel");
    expect(spec.tolerations).toEqual([{ operator: "Exists", effect: "NoSchedule" }]);
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] },
    ]);
    expect(spec.hostNetwork).toBe(true);
    expect(spec.priorityClassName).toBe("system-node-critical");
    expect(spec.serviceAccountName).toBe("flannel");
  });

  test("flanneld: the kube subnet manager, IP masquerade, its env, capabilities and volumes", () => {
    const spec = podSpec("flannel");
    const flanneld = spec.containers[0];
    expect(flanneld.args).toEqual(["--ip-masq", "--kube-subnet-mgr"]);
    expect(flanneld.env.map((e: { name: string }) => e.name)).toEqual(["POD_NAME", "POD_NAMESPACE", "EVENT_QUEUE_DEPTH"]);
    expect(flanneld.securityContext.capabilities.add).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(["run", "cni-plugin", "cni", "flannel-cfg", "xtables-lock"]);
    expect(spec.volumes.find((v: { name: string }) => v.name === "flannel-cfg").configMap.name).toBe("kube-flannel-cfg");
    // Every container has requests and limits: the policy pack's container-resources rule.
    for (const c of [...spec.initContainers, ...spec.containers]) {
      expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
    }
  });

  test("images: docker.io and the default versions", () => {
    expect(images("flannel")).toEqual([
      "install-cni-plugin docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2",
      "install-cni docker.io/flannel/flannel:v0.26.1",
      "kube-flannel docker.io/flannel/flannel:v0.26.1",
    ]);
  });

  test("images: a private registry and other versions", () => {
    expect(images("flannel-site")).toEqual([
      "install-cni-plugin registry.example.internal:5000/mirror/flannel/flannel-cni-plugin:v1.6.0-flannel1",
      "install-cni registry.example.internal:5000/mirror/flannel/flannel:v0.26.4",
      "kube-flannel registry.example.internal:5000/mirror/flannel/flannel:v0.26.4",
    ]);
  });

  test("a version from config without its v gets one", () => {
    const ds = flannelManifests({ podCidr: "10.244.0.0/16", nodeSubnetLength: 24, version: "0.26.2" }).find((o) => o.kind === "DaemonSet") as any;
    expect(ds.spec.template.spec.containers[0].image).toBe("docker.io/flannel/flannel:v0.26.2");
  });

  test("rejects a pod network that node subnets cannot split, all problems at once", () => {
    expect(() => new Flannel("bad", { provider, podCidr: "10.244.0.0/33", nodeSubnetLength: 31 })).toThrow(
      'Flannel "bad" has invalid arguments:\n' +
        '- podCidr: "10.244.0.0/33" is not an IPv4 network; give it as a.b.c.d/n with no host bits set.\n' +
        "- nodeSubnetLength: 31 does not split the pod network into node subnets; give a prefix length longer than the pod network's and at most 30.",
    );
    expect(() => new Flannel("bad2", { provider, podCidr: "10.244.0.0/16", nodeSubnetLength: 16 })).toThrow(/nodeSubnetLength: 16/);
  });
});
