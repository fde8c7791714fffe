// Real worker and edge hosts in a stack with its own control plane need the kubernetes-node release.
import { validateClusterConfig } from "../../../config";
import { realNodeHosts } from "../../../spec/cluster";
import { NS, SECRET_KEY_NAMES, validRawConfig } from "./fixture";
import { testHostKey } from "../hosts";
import { ADDONS } from "../../../addons";

const SECRETS = new Set([...SECRET_KEY_NAMES, "secretsEncryptionKey"]);
const MISSING =
  "onprem-k8s:artifacts.kubernetesNode: is not set, but the stack installs the control plane (artifacts.kubernetes) and w1, e1 are real worker or edge hosts; give the kubernetes-node release .tar.gz (kubelet, kube-proxy) as {url or path, sha256}, or mark those hosts simulated: true";

/** The fixture with its own control plane, its real worker w1, a real edge node e1 and a simulated worker. */
function config(): Record<string, any> {
  const raw = validRawConfig();
  raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
  raw.versions.kubernetes = "v1.34.4";
  raw.artifacts.kwok = { url: "http://10.0.0.1:8080/kwok.tar.gz", sha256: "c".repeat(64) };
  raw.versions.coredns = "1.11.3";
  raw.secretsEncryptionKey = Buffer.alloc(32, 9).toString("base64");
  raw.hosts.push({ name: "e1", address: "10.0.0.31", sshHostKey: testHostKey("e1"), roles: ["edge"] }, { name: "sim1", address: "10.0.0.41", roles: ["worker"], simulated: true });
  return raw;
}

test("real worker and edge hosts without artifacts.kubernetesNode: one problem naming the key, the hosts and the fix", () => {
  const { spec, problems } = validateClusterConfig(config(), SECRETS, NS, ADDONS);
  expect(problems).toEqual([MISSING]);
  expect(realNodeHosts(spec).map((h) => h.name)).toEqual(["w1", "e1"]);
});

test("with the kubernetes-node release the stack is valid", () => {
  const raw = config();
  raw.artifacts.kubernetesNode = { path: "/srv/kubernetes-node-linux-amd64.tar.gz", sha256: "d".repeat(64) };
  expect(validateClusterConfig(raw, SECRETS, NS, ADDONS).problems).toEqual([]);
});

test("not needed when every worker and edge host is simulated, nor without the stack's own control plane", () => {
  const simulated = config();
  simulated.hosts = simulated.hosts.map((h: any) => (h.roles.includes("worker") || h.roles.includes("edge") ? { ...h, simulated: true } : h));
  expect(validateClusterConfig(simulated, SECRETS, NS, ADDONS).problems).toEqual([]);
  // dev and prod: a cluster made elsewhere, reached through the kubeconfig secret.
  expect(validateClusterConfig(validRawConfig(), new Set(SECRET_KEY_NAMES), NS, ADDONS).problems).toEqual([]);
});

test("a master that is also a real worker needs it too", () => {
  const raw = config();
  raw.hosts = raw.hosts.filter((h: any) => !["w1", "e1"].includes(h.name));
  raw.hosts[0].roles = ["etcd", "master", "lb", "worker"];
  expect(validateClusterConfig(raw, SECRETS, NS, ADDONS).problems).toEqual([MISSING.replace("w1, e1 are", "m1 are")]);
});
