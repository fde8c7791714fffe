// The config of a stack with its own control plane: artifacts.kubernetes, secretsEncryptionKey, kubernetes.*ExtraArgs,
// kubernetes.nodeBatchSize and simulated (kwok) nodes. Every problem names its key and the fix.
import { validateClusterConfig } from "../../../config";
import { nodeBatchSize } from "../../../config/parse-kubernetes";
import { simulatedHosts } from "../../../spec/cluster";
import { NS, SECRET_KEY_NAMES, validRawConfig } from "./fixture";
import { ADDONS } from "../../../addons";

const KEY = Buffer.alloc(32, 9).toString("base64");
const SECRETS = new Set([...SECRET_KEY_NAMES, "secretsEncryptionKey"]);

/** The fixture with its own control plane, its real worker w1 and one simulated worker. */
function controlPlaneConfig(): Record<string, any> {
  const raw = validRawConfig();
  raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
  raw.versions.kubernetes = "v1.34.4";
  raw.artifacts.kwok = { url: "http://10.0.0.1:8080/kwok.tar.gz", sha256: "c".repeat(64) };
  raw.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
  raw.versions.coredns = "1.11.3";
  raw.secretsEncryptionKey = KEY;
  raw.hosts.push({ name: "sim1", address: "10.0.0.41", roles: ["worker"], simulated: true });
  return raw;
}

function problemsOf(mutate: (raw: Record<string, any>) => void, secretKeys: ReadonlySet<string> = SECRETS): readonly string[] {
  const raw = controlPlaneConfig();
  mutate(raw);
  return validateClusterConfig(raw, secretKeys, NS, ADDONS).problems;
}

test("a stack with its own control plane and a simulated node is valid and typed", () => {
  const { spec, problems } = validateClusterConfig(
    { ...controlPlaneConfig(), kubernetes: { apiServerExtraArgs: { "event-ttl": "2h", v: 2, "enable-aggregator-routing": true } } },
    SECRETS,
    NS,
    ADDONS,
  );
  expect(problems).toEqual([]);
  expect(spec.artifacts.kubernetes).toBeDefined();
  expect(simulatedHosts(spec).map((h) => h.name)).toEqual(["sim1"]);
  expect(spec.kubernetes.apiServerExtraArgs).toEqual({ "event-ttl": "2h", v: "2", "enable-aggregator-routing": "true" });
  expect(spec.kubernetes.schedulerExtraArgs).toEqual({});
  expect(spec.kubernetes.nodeBatchSize).toEqual({ percent: 25 });
});

test.each([
  [2, { nodes: 2 }],
  ["50%", { percent: 50 }],
  ["100%", { percent: 100 }],
])("kubernetes.nodeBatchSize %p is %p", (value, expected) => {
  const { spec, problems } = validateClusterConfig({ ...controlPlaneConfig(), kubernetes: { nodeBatchSize: value } }, SECRETS, NS, ADDONS);
  expect(problems).toEqual([]);
  expect(spec.kubernetes.nodeBatchSize).toEqual(expected);
});

test("kube-proxy's conntrack sizing and the kubelets' eviction thresholds pass through; bad ones are named with their fix", () => {
  const given = { kubeProxyConntrackMaxPerCore: 0, kubeletEvictionHard: { "nodefs.available": "0%", "memory.available": "100Mi" } };
  const { spec, problems } = validateClusterConfig({ ...controlPlaneConfig(), kubernetes: given }, SECRETS, NS, ADDONS);
  expect(problems).toEqual([]);
  expect(spec.kubernetes.kubeProxyConntrackMaxPerCore).toBe(0);
  expect(spec.kubernetes.kubeletEvictionHard).toEqual({ "nodefs.available": "0%", "memory.available": "100Mi" });
  const bad = { kubeProxyConntrackMaxPerCore: -1, kubeletEvictionHard: { "disk.available": "1%", "imagefs.available": "lots" } };
  expect(validateClusterConfig({ ...controlPlaneConfig(), kubernetes: bad }, SECRETS, NS, ADDONS).problems).toEqual([
    "onprem-k8s:kubernetes.kubeProxyConntrackMaxPerCore: -1 is not a whole number; give 0 to leave the host's conntrack table size alone, or a number of entries per core such as 32768",
    "onprem-k8s:kubernetes.kubeletEvictionHard.disk.available: is not an eviction signal; use memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available",
    'onprem-k8s:kubernetes.kubeletEvictionHard.imagefs.available: "lots" is not a threshold; give a percentage such as "10%" or a quantity such as "500Mi"',
  ]);
});

describe("nodeBatchSize: the real nodes that change at once", () => {
  test.each([
    ["25% of 3 rounds up to 1", { percent: 25 }, 3, 1],
    ["25% of 10 rounds up to 3", { percent: 25 }, 10, 3],
    ["25% of 8 is 2", { percent: 25 }, 8, 2],
    ["50% of 3 rounds up to 2", { percent: 50 }, 3, 2],
    ["100% of 7 is all 7", { percent: 100 }, 7, 7],
    ["1% of 3 is at least 1", { percent: 1 }, 3, 1],
    ["2 nodes of 10", { nodes: 2 }, 10, 2],
    ["5 nodes of 3 are the 3", { nodes: 5 }, 3, 3],
    ["no nodes make a batch of 1", { percent: 25 }, 0, 1],
  ] as const)("%s", (_name, setting, count, expected) => {
    expect(nodeBatchSize(setting, count)).toBe(expected);
  });
});

test("without artifacts.kubernetes a stack is valid with no encryption key (dev and prod use a kubeconfig)", () => {
  const { problems } = validateClusterConfig(validRawConfig(), new Set(SECRET_KEY_NAMES), NS, ADDONS);
  expect(problems).toEqual([]);
});

/** The one problem of a bad `kubernetes.nodeBatchSize`, which shows the value as given. */
const batchProblem = (shown: string) =>
  `onprem-k8s:kubernetes.nodeBatchSize: ${shown} is not a number of nodes or a percentage; give a whole number of nodes such as 2, or a percentage of the real nodes from "1%" to "100%" such as "25%"`;

const cases: [string, (raw: Record<string, any>) => void, string, ReadonlySet<string>?][] = [
  [
    "no encryption key",
    (r) => delete r.secretsEncryptionKey,
    "onprem-k8s:secretsEncryptionKey: is not set, but the stack installs the control plane (artifacts.kubernetes); set 32 random bytes in base64: `head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey`",
  ],
  [
    "an encryption key of 16 bytes",
    (r) => (r.secretsEncryptionKey = Buffer.alloc(16, 1).toString("base64")),
    "onprem-k8s:secretsEncryptionKey: decodes to 16 bytes, not 32; give 32 random bytes in base64: `head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey`",
  ],
  [
    "an encryption key that is not base64",
    (r) => (r.secretsEncryptionKey = "correct horse battery staple!!"),
    "onprem-k8s:secretsEncryptionKey: is not base64; give 32 random bytes in base64: `head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey`",
  ],
  [
    "an encryption key in plain text",
    () => undefined,
    "onprem-k8s:secretsEncryptionKey: is a secret given in plain text; set it with `pulumi config set --secret secretsEncryptionKey`",
    new Set(SECRET_KEY_NAMES),
  ],
  [
    "three masters and no load balancer for the API",
    (r) => (r.loadBalancers = []),
    "onprem-k8s:loadBalancers: 3 hosts have role master, but no load balancer forwards port 6443 to them; add {name: api, vip, virtualRouterId, hostRole: lb, backendRole: master, ports: [6443]} so clients reach every apiserver through one address",
  ],
  [
    "no CoreDNS version",
    (r) => delete r.versions.coredns,
    "onprem-k8s:versions.coredns: is not set, but the stack installs the control plane and with it CoreDNS; give the CoreDNS image tag, such as 1.11.3",
  ],
  [
    "a simulated master",
    (r) => (r.hosts[4].roles = ["worker", "master"]),
    "onprem-k8s:hosts[4].roles: host sim1 is simulated but has role master; only worker and edge nodes can be simulated; give this role to a real host",
  ],
  [
    "simulated nodes without the kwok release",
    (r) => delete r.artifacts.kwok,
    "onprem-k8s:artifacts.kwok: is not set, but sim1 are simulated nodes; give the kwok release .tar.gz as {url or path, sha256}",
  ],
  [
    "simulated nodes without the stack's own control plane",
    (r) => delete r.artifacts.kubernetes,
    "onprem-k8s:artifacts.kubernetes: is not set, but sim1 are simulated nodes, which need the stack's own control plane; give the kubernetes-server release .tar.gz as {url or path, sha256}",
  ],
  [
    "a VIP carried by simulated nodes",
    (r) => r.loadBalancers.push({ name: "edge", vip: "10.0.0.200", virtualRouterId: 52, hostRole: "worker", backendRole: "worker", ports: [80] }),
    'onprem-k8s:loadBalancers[1].hostRole: a VIP needs 2 or more hosts with role "worker", found 1 that are not simulated; give the role "worker" to at least two real hosts',
  ],
  [
    "simulated given as a string",
    (r) => (r.hosts[4].simulated = "yes"),
    'onprem-k8s:hosts[4].simulated: "yes" is not true or false; give simulated: true for a node that kwok simulates, or leave it out',
  ],
  [
    "a flag with its dashes",
    (r) => (r.kubernetes = { apiServerExtraArgs: { "--event-ttl": "2h" } }),
    "onprem-k8s:kubernetes.apiServerExtraArgs.--event-ttl: is not a flag name; give the name without leading dashes, in lower case (event-ttl)",
  ],
  ["a flag with a list value", (r) => (r.kubernetes = { schedulerExtraArgs: { v: [1] } }), "onprem-k8s:kubernetes.schedulerExtraArgs.v: [1] is not a flag value; give a string, number or true/false"],
  [
    "an unknown kubernetes setting",
    (r) => (r.kubernetes = { kubeletExtraArgs: {} }),
    "onprem-k8s:kubernetes.kubeletExtraArgs: is not a known setting; use only apiServerExtraArgs, controllerManagerExtraArgs, schedulerExtraArgs, nodeBatchSize, kubeProxyConntrackMaxPerCore, kubeletEvictionHard, kubeletFailCgroupV1",
  ],
  ["a node batch of 0", (r) => (r.kubernetes = { nodeBatchSize: 0 }), batchProblem("0")],
  ["a node batch of 1.5", (r) => (r.kubernetes = { nodeBatchSize: 1.5 }), batchProblem("1.5")],
  ["a node batch of 0%", (r) => (r.kubernetes = { nodeBatchSize: "0%" }), batchProblem('"0%"')],
  ["a node batch of 150%", (r) => (r.kubernetes = { nodeBatchSize: "150%" }), batchProblem('"150%"')],
  ["a node batch of a number in a string", (r) => (r.kubernetes = { nodeBatchSize: "2" }), batchProblem('"2"')],
  ["a node batch of a fraction", (r) => (r.kubernetes = { nodeBatchSize: "0.25" }), batchProblem('"0.25"')],
  [
    "kubernetes given as a list",
    (r) => (r.kubernetes = []),
    "onprem-k8s:kubernetes: is not an object; give {apiServerExtraArgs, controllerManagerExtraArgs, schedulerExtraArgs, nodeBatchSize, kubeProxyConntrackMaxPerCore, kubeletEvictionHard, kubeletFailCgroupV1}",
  ],
];

// Every row with its secret keys, so jest never mistakes the last parameter for a done callback.
test.each(cases.map(([name, mutate, expected, secretKeys]) => [name, mutate, expected, secretKeys ?? SECRETS] as const))("%s", (_name, mutate, expected, secretKeys) => {
  expect(problemsOf(mutate, secretKeys)).toContain(expected);
});

test("a bad kubernetes.nodeBatchSize is the one problem of an otherwise valid stack", () => {
  expect(problemsOf((r) => (r.kubernetes = { nodeBatchSize: "150%" }))).toEqual([batchProblem('"150%"')]);
});

test("a problem with the encryption key never shows the key", () => {
  const problems = problemsOf((r) => (r.secretsEncryptionKey = Buffer.alloc(31, 5).toString("base64")));
  expect(problems.join("\n")).not.toContain(Buffer.alloc(31, 5).toString("base64"));
});
