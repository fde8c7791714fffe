// The config of a stack with its own control plane: artifacts.kubernetes, secretsEncryptionKey, kubernetes.*ExtraArgs
// and simulated (kwok) nodes. Every problem names its key and the fix.
import { validateClusterConfig } from "../../../config";
import { simulatedHosts } from "../../../spec/cluster";
import { NS, SECRET_KEY_NAMES, validRawConfig } from "./fixture";
import { ADDONS } from "../../../addons";

const KEY = Buffer.alloc(32, 9).toString("base64");
const SECRETS = new Set([...SECRET_KEY_NAMES, "secretsEncryptionKey"]);

/** The fixture with its own control plane, its real worker w1 and one simulated worker. */
function controlPlaneConfig(): Record<string, any> {
  const raw = validRawConfig();
  raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
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
});

test("without artifacts.kubernetes a stack is valid with no encryption key (dev and prod use a kubeconfig)", () => {
  const { problems } = validateClusterConfig(validRawConfig(), new Set(SECRET_KEY_NAMES), NS, ADDONS);
  expect(problems).toEqual([]);
});

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
    "onprem-k8s:kubernetes.kubeletExtraArgs: is not a known setting; use only apiServerExtraArgs, controllerManagerExtraArgs, schedulerExtraArgs",
  ],
];

// Every row with its secret keys, so jest never mistakes the last parameter for a done callback.
test.each(cases.map(([name, mutate, expected, secretKeys]) => [name, mutate, expected, secretKeys ?? SECRETS] as const))("%s", (_name, mutate, expected, secretKeys) => {
  expect(problemsOf(mutate, secretKeys)).toContain(expected);
});

test("a problem with the encryption key never shows the key", () => {
  const problems = problemsOf((r) => (r.secretsEncryptionKey = Buffer.alloc(31, 5).toString("base64")));
  expect(problems.join("\n")).not.toContain(Buffer.alloc(31, 5).toString("base64"));
});
