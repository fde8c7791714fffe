// Real worker and edge hosts under mocks: one kubelet step per node, in batches after the control plane's gate, then a
// NodePatch per node with its labels and taints; a label change re-runs that node's patch and no host step.
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { testHostKey } from "../hosts";

jest.setTimeout(60_000);

type Resources = Map<string, RecordedResource>;
const NODES = ["lab-w1", "lab-w2", "lab-e1"];
const PATCH = "kubernetes:core/v1:NodePatch";
const step = (resources: Resources, name: string) => resources.get(`command:remote:Command::${name}`)!;
const patch = (resources: Resources, node: string) => resources.get(`${PATCH}::node-bootstrap-${node}`)!;

/** Three masters behind an API VIP, two real workers and a real edge node, and a simulated worker. */
function config(): { raw: Record<string, any>; secretKeys: string[] } {
  const raw: Record<string, any> = {
    clusterName: "lab",
    hosts: [
      { name: "lab1", address: "172.31.250.11", sshHostKey: testHostKey("lab1"), roles: ["etcd", "master", "lb"] },
      { name: "lab2", address: "172.31.250.12", sshHostKey: testHostKey("lab2"), roles: ["etcd", "master", "lb"] },
      { name: "lab3", address: "172.31.250.13", sshHostKey: testHostKey("lab3"), roles: ["etcd", "master", "lb"] },
      { name: "lab-w1", address: "172.31.250.21", sshHostKey: testHostKey("lab-w1"), roles: ["worker"], labels: { storage: "ssd" } },
      { name: "lab-w2", address: "172.31.250.22", sshHostKey: testHostKey("lab-w2"), roles: ["worker"] },
      { name: "lab-e1", address: "172.31.250.31", sshHostKey: testHostKey("lab-e1"), roles: ["edge"], taints: [{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }] },
      { name: "lab-s1", address: "172.31.250.41", roles: ["worker"], simulated: true },
    ],
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n-----END OPENSSH PRIVATE KEY-----",
    loadBalancerAuthPassword: "vrrp-pw",
    secretsEncryptionKey: Buffer.alloc(32, 3).toString("base64"),
    network: { hostCidr: "172.31.250.0/24", podCidr: "10.244.0.0/16", nodeSubnetLength: 24, serviceCidr: "10.96.0.0/16", clusterDnsIp: "10.96.0.10" },
    loadBalancers: [
      { name: "etcd", vip: "172.31.250.100", virtualRouterId: 71, hostRole: "lb", backendRole: "etcd", ports: [2379] },
      { name: "api", vip: "172.31.250.101", virtualRouterId: 72, hostRole: "lb", backendRole: "master", ports: [6443] },
    ],
    versions: { kubernetes: "v1.34.4", coredns: "1.11.3" },
    artifacts: {
      etcd: { url: "http://172.31.250.1:8080/artifacts/etcd.tar.gz", sha256: "c".repeat(64) },
      kubernetes: { url: "http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz", sha256: "e".repeat(64) },
      kubernetesNode: { url: "http://172.31.250.1:8080/artifacts/kubernetes-node.tar.gz", sha256: "a".repeat(64) },
      kwok: { url: "http://172.31.250.1:8080/artifacts/kwok.tar.gz", sha256: "f".repeat(64) },
    },
  };
  return { raw, secretKeys: ["sshPrivateKey", "loadBalancerAuthPassword", "secretsEncryptionKey"] };
}

/** Resources of a type whose inputs differ between two runs. */
function changed(before: Resources, after: Resources, type: (t: string) => boolean): string[] {
  return [...after.values()]
    .filter((r) => type(r.type))
    .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(before.get(`${r.type}::${r.name}`)?.inputs))
    .map((r) => r.name)
    .sort();
}
const hostSteps = (t: string) => t.startsWith("command:");

let baseline: Resources;

beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = config();
  baseline = await runStack(raw, secretKeys);
});

describe("real worker and edge nodes", () => {
  test("one packages, one install and one kubelet step per real node, on its own address, and its upgrade drain and membership steps on the first master; none for masters or simulated nodes", () => {
    const steps = [...baseline.values()].filter((r) => r.type === "command:remote:Command" && r.name.startsWith("node-bootstrap-"));
    expect(steps.map((s) => s.name).sort()).toEqual(
      NODES.flatMap((n) => [
        `node-bootstrap-${n}-packages`,
        `node-bootstrap-${n}-kubernetes-node-install`,
        `node-bootstrap-${n}-upgrade-drain`,
        `node-bootstrap-${n}-kubelet`,
        `node-bootstrap-${n}-membership`,
      ]).sort(),
    );
    expect(step(baseline, "node-bootstrap-lab-w2-kubelet").inputs.connection.host).toBe("172.31.250.22");
    expect(step(baseline, "node-bootstrap-lab-w2-membership").inputs.connection.host).toBe("172.31.250.11");
    expect(step(baseline, "node-bootstrap-lab-w2-upgrade-drain").inputs.connection.host).toBe("172.31.250.11");
    expect(step(baseline, "node-bootstrap-lab-w2-upgrade-drain").inputs.create).toContain("STEP='node lab-w2 upgrade to kubelet v1.34.4'");
    expect(step(baseline, "node-bootstrap-lab-w1-kubernetes-node-install").inputs.create).toContain("for binary in kubelet kube-proxy; do");
    // Without a containerd release, Debian's containerd.
    expect(step(baseline, "node-bootstrap-lab-e1-packages").inputs.create).toMatch(/apt-get install .*containerd runc containernetworking-plugins/);
  });

  test("at the default nodeBatchSize, 25% of three nodes, the nodes form batches of one after the control plane's gate, each after the previous one takes pods", () => {
    const needs = (n: string) => [`node-bootstrap-${n}-kubernetes-node-install`, `node-bootstrap-${n}-packages`];
    const after = (n: string, previous: string) => {
      expect(step(baseline, `node-bootstrap-${n}-upgrade-drain`).dependsOn).toEqual([previous]);
      expect(step(baseline, `node-bootstrap-${n}-kubelet`).dependsOn).toEqual([...needs(n), `node-bootstrap-${n}-upgrade-drain`, previous]);
      expect(step(baseline, `node-bootstrap-${n}-membership`).dependsOn).toEqual([`node-bootstrap-${n}`]);
    };
    after("lab-w1", "control-plane-ready");
    after("lab-w2", "node-bootstrap-lab-w1-membership");
    after("lab-e1", "node-bootstrap-lab-w2-membership");
    // The packages and binaries do not wait for the control plane: they install while it comes up.
    NODES.flatMap(needs).forEach((s) => expect([s, step(baseline, s).dependsOn]).toEqual([s, []]));
  });

  test("changing kubernetes.nodeBatchSize re-runs no host step: it only orders them", async () => {
    const { raw, secretKeys } = config();
    raw.kubernetes = { nodeBatchSize: "100%" };
    const after = await runStack(raw, secretKeys);
    expect(changed(baseline, after, hostSteps)).toEqual([]);
    NODES.forEach((n) =>
      expect(step(after, `node-bootstrap-${n}-kubelet`).dependsOn).toEqual([
        `node-bootstrap-${n}-kubernetes-node-install`,
        `node-bootstrap-${n}-packages`,
        `node-bootstrap-${n}-upgrade-drain`,
        "control-plane-ready",
      ]),
    );
  });

  test("each kubelet step carries the node's own certificates, the VIP and a remove script", () => {
    const kubelet = step(baseline, "node-bootstrap-lab-w1-kubelet");
    const w1 = { create: kubelet.inputs.create, stdin: kubelet.inputs.stdin, delete: kubelet.inputs.delete };
    expect(w1.create).toContain("STEP='node lab-w1'");
    expect(w1.create).toContain("--node-ip=172.31.250.21");
    expect(w1.create).toContain("CERT pki-kubelet-serving-lab-w1");
    expect(w1.create).not.toContain("KEY pki-");
    expect(kubelet.secretInputs.sort()).toEqual(["connection", "stdin"]);
    expect(w1.stdin).toContain("server: https://172.31.250.101:6443");
    expect(w1.stdin).toContain(Buffer.from("KEY pki-kubelet-client-lab-w1-key").toString("base64"));
    expect(w1.stdin).toContain("KEY pki-kubelet-serving-lab-w1-key");
    expect(w1.stdin).not.toContain("pki-kubelet-serving-lab-w2");
    expect(w1.delete).toContain("STEP='remove node lab-w1'");
  });

  test("a NodePatch per node sets its labels and taints once its kubelet has registered", () => {
    const patches = [...baseline.values()].filter((r) => r.type === PATCH);
    expect(patches.map((p) => p.name).sort()).toEqual(NODES.map((n) => `node-bootstrap-${n}`).sort());
    NODES.forEach((n) => expect(patch(baseline, n).dependsOn).toEqual([`node-bootstrap-${n}-kubelet`]));
    expect(patch(baseline, "lab-w1").inputs.metadata).toMatchObject({
      name: "lab-w1",
      labels: { "node-role.kubernetes.io/worker": "", storage: "ssd" },
      annotations: { "pulumi.com/patchForce": "true" },
    });
    // The kubelet's own labels stay the kubelet's; kwok's `type` is only for simulated nodes.
    expect(Object.keys(patch(baseline, "lab-w1").inputs.metadata.labels).sort()).toEqual(["node-role.kubernetes.io/worker", "storage"]);
    expect(patch(baseline, "lab-e1").inputs.spec).toEqual({ taints: [{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }] });
    expect(patch(baseline, "lab-w2").inputs.spec).toBeUndefined();
    // The simulated worker stays kwok's.
    expect(baseline.get("kubernetes:core/v1:Node::nodes/lab-s1")).toBeDefined();
    expect(patch(baseline, "lab-s1")).toBeUndefined();
  });

  test("PKI: kubelet certificates per real node and one kube-proxy certificate", () => {
    const csrs = [...baseline.values()].filter((r) => r.type === "tls:index/certRequest:CertRequest").map((r) => r.name);
    expect(csrs.filter((n) => /^pki-(kubelet-(client|serving)-|kube-proxy)/.test(n)).sort()).toEqual(
      [...NODES.flatMap((n) => [`pki-kubelet-client-${n}-csr`, `pki-kubelet-serving-${n}-csr`]), "pki-kube-proxy-csr"].sort(),
    );
  });

  test("changing a node's labels re-runs only that node's patch, no host step", async () => {
    const { raw, secretKeys } = config();
    raw.hosts[3].labels = { storage: "hdd" };
    const after = await runStack(raw, secretKeys);
    expect(changed(baseline, after, hostSteps)).toEqual([]);
    expect(changed(baseline, after, (t) => t === PATCH)).toEqual(["node-bootstrap-lab-w1"]);
    expect(patch(after, "lab-w1").inputs.metadata.labels.storage).toBe("hdd");
  });

  test("changing a node's taints re-runs only that node's patch and its kubelet step, which registers the Node with them", async () => {
    const { raw, secretKeys } = config();
    raw.hosts[4].taints = [{ key: "dedicated", value: "db", effect: "NoExecute" }];
    const after = await runStack(raw, secretKeys);
    expect(changed(baseline, after, hostSteps)).toEqual(["node-bootstrap-lab-w2-kubelet"]);
    expect(step(after, "node-bootstrap-lab-w2-kubelet").inputs.create).toContain("--register-with-taints=dedicated=db:NoExecute");
    expect(changed(baseline, after, (t) => t === PATCH)).toEqual(["node-bootstrap-lab-w2"]);
    expect(patch(after, "lab-w2").inputs.spec).toEqual({ taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] });
  });

  test("the kubernetes-node release re-runs the nodes' installs and kubelet steps; the cluster DNS IP only the kubelet steps", async () => {
    const { raw, secretKeys } = config();
    raw.artifacts.kubernetesNode.sha256 = "b".repeat(64);
    expect(changed(baseline, await runStack(raw, secretKeys), hostSteps)).toEqual(NODES.flatMap((n) => [`node-bootstrap-${n}-kubernetes-node-install`, `node-bootstrap-${n}-kubelet`]).sort());
    const dns = config();
    dns.raw.network.clusterDnsIp = "10.96.0.53";
    expect(changed(baseline, await runStack(dns.raw, dns.secretKeys), hostSteps)).toEqual(NODES.map((n) => `node-bootstrap-${n}-kubelet`).sort());
  });

  test("with the containerd and cniPlugins releases, every node installs them before its kubelet step", async () => {
    const { raw, secretKeys } = config();
    raw.artifacts.containerd = { url: "http://172.31.250.1:8080/artifacts/containerd.tar.gz", sha256: "1".repeat(64) };
    raw.artifacts.cniPlugins = { url: "http://172.31.250.1:8080/artifacts/cni-plugins.tgz", sha256: "2".repeat(64) };
    const after = await runStack(raw, secretKeys);
    expect(step(after, "node-bootstrap-lab-w2-kubelet").dependsOn).toEqual([
      "node-bootstrap-lab-w2-kubernetes-node-install",
      "node-bootstrap-lab-w2-containerd-install",
      "node-bootstrap-lab-w2-cni-plugins-install",
      "node-bootstrap-lab-w2-upgrade-drain",
      "node-bootstrap-lab-w1-membership",
    ]);
    expect(step(after, "node-bootstrap-lab-w2-cni-plugins-install").inputs.create).toContain('"/opt/cni/bin/$binary"');
    expect(step(after, "node-bootstrap-lab-w2-kubelet").inputs.create).toContain("put_file /etc/containerd/config.toml 0644");
  });
});
