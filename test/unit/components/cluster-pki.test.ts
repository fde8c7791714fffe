// ClusterPki under mocks: which certificates it makes, their SANs and uses, the expiry warning, and that every
// private key it hands out is a secret.
import * as pulumi from "@pulumi/pulumi";
import { settle, tlsState, valueOf } from "./mocks";

const registered: { type: string; name: string; inputs: Record<string, any> }[] = [];
let validityEndTime = "2999-01-01T00:00:00Z";

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const outputs: Record<string, string> = {};
        if (args.type === "tls:index/privateKey:PrivateKey") Object.assign(outputs, { privateKeyPem: `KEY ${args.name}`, publicKeyPem: `PUB ${args.name}` });
        if (args.type === "tls:index/certRequest:CertRequest") outputs.certRequestPem = `CSR ${args.name}`;
        if (args.type.endsWith("Cert")) Object.assign(outputs, { certPem: `CERT ${args.name}`, validityEndTime });
        return { id: `${args.name}-id`, state: tlsState(args.type, args.inputs, outputs) };
      },
      call: (args) => args.inputs,
    },
    "onprem-k8s",
    "test",
    false,
  ),
);

const members = [
  { name: "lab1", address: "172.31.250.11" },
  { name: "lab2", address: "172.31.250.12" },
  { name: "lab3", address: "172.31.250.13" },
];

test("an etcd CA, a server and a peer certificate per member, and a client certificate", async () => {
  const { ClusterPki } = await import("../../../components/cluster-pki");
  registered.length = 0;
  new ClusterPki("pki", { clusterName: "lab", validityDays: 365, etcdMembers: members, etcdServerExtraIps: ["172.31.250.100"] });
  await settle();
  const certs = registered
    .filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")
    .map((r) => r.name)
    .sort();
  expect(certs).toEqual(["pki-etcd-client", ...members.flatMap((m) => [`pki-etcd-peer-${m.name}`, `pki-etcd-server-${m.name}`])].sort());
  const ca = registered.find((r) => r.name === "pki-etcd-ca")!;
  expect(ca.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 365 * 24 });
  const serverCsr = registered.find((r) => r.name === "pki-etcd-server-lab2-csr")!;
  expect(serverCsr.inputs.ipAddresses).toEqual(["172.31.250.12", "127.0.0.1", "172.31.250.100"]);
  expect(serverCsr.inputs.dnsNames).toEqual(["lab2", "localhost"]);
  const server = registered.find((r) => r.name === "pki-etcd-server-lab2")!;
  expect(server.inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
  expect(server.inputs.earlyRenewalHours).toBe(30 * 24);
  const keys = registered.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
  keys.forEach((k) => expect(k.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" }));
});

test("warns when a certificate expires within pki.expiryWarningDays", async () => {
  const { ClusterPki } = await import("../../../components/cluster-pki");
  const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  validityEndTime = new Date(Date.now() + 10 * 86_400_000).toISOString();
  new ClusterPki("soon", { clusterName: "lab", validityDays: 365, expiryWarningDays: 30, etcdMembers: members.slice(0, 1) });
  await settle();
  const messages = warn.mock.calls.map((c) => String(c[0]));
  expect(messages.some((m) => /^certificate soon-etcd-server-lab1 expires .*, in (9|10) days \(pki\.expiryWarningDays is 30\)/.test(m))).toBe(true);
  warn.mockClear();
  validityEndTime = new Date(Date.now() + 90 * 86_400_000).toISOString();
  new ClusterPki("later", { clusterName: "lab", validityDays: 365, expiryWarningDays: 30, etcdMembers: members.slice(0, 1) });
  await settle();
  expect(warn.mock.calls.filter((c) => String(c[0]).includes("later-"))).toEqual([]);
  warn.mockRestore();
});

const kubernetes = { masters: members, apiServerExtraIps: ["172.31.250.101"], serviceIp: "10.96.0.1", clusterDomain: "cluster.local" };
const nodes = [
  { name: "w1", address: "172.31.250.21" },
  { name: "e1", address: "172.31.250.31" },
];

test("real nodes get a kubelet client and serving certificate each, and the cluster one kube-proxy client certificate", async () => {
  const { ClusterPki } = await import("../../../components/cluster-pki");
  registered.length = 0;
  const pki = new ClusterPki("nodes", { clusterName: "lab", validityDays: 365, etcdMembers: members, kubernetes: { ...kubernetes, nodes } });
  await settle();
  const byName = (name: string) => registered.find((r) => r.name === name)!;
  for (const n of nodes) {
    expect(byName(`nodes-kubelet-client-${n.name}-csr`).inputs).toMatchObject({ subject: { commonName: `system:node:${n.name}`, organization: "system:nodes" }, dnsNames: [], ipAddresses: [] });
    expect(byName(`nodes-kubelet-client-${n.name}`).inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "client_auth"]);
    expect(byName(`nodes-kubelet-serving-${n.name}-csr`).inputs).toMatchObject({
      subject: { commonName: `system:node:${n.name}`, organization: "system:nodes" },
      dnsNames: [n.name],
      ipAddresses: [n.address],
    });
    expect(byName(`nodes-kubelet-serving-${n.name}`).inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth"]);
    // Signed by the cluster CA, which the apiserver and the kubelets trust.
    expect(byName(`nodes-kubelet-client-${n.name}`).inputs.caCertPem).toBe("CERT nodes-kube-ca");
  }
  const proxyCsr = registered.filter((r) => r.name === "nodes-kube-proxy-csr");
  expect(proxyCsr).toHaveLength(1);
  expect(proxyCsr[0].inputs.subject).toEqual({ commonName: "system:kube-proxy" });
  expect(Object.keys(pki.kubernetes!.nodes).sort()).toEqual(["e1", "w1"]);
  expect(pki.kubernetes!.kubeProxy).toBeDefined();
});

test("without real nodes there are no kubelet or kube-proxy certificates", async () => {
  const { ClusterPki } = await import("../../../components/cluster-pki");
  registered.length = 0;
  const pki = new ClusterPki("sim", { clusterName: "lab", validityDays: 365, etcdMembers: members, kubernetes });
  await settle();
  expect(registered.filter((r) => /^sim-(kubelet-(client|serving)|kube-proxy)/.test(r.name)).map((r) => r.name)).toEqual([]);
  expect(pki.kubernetes!.nodes).toEqual({});
  expect(pki.kubernetes!.kubeProxy).toBeUndefined();
});

/** Every Output a component holds in its own properties (not the SDK's), by path (`kubernetes.apiServer.key`). */
function outputsOf(value: unknown, path = ""): [string, pulumi.Output<unknown>][] {
  if (pulumi.Output.isInstance(value)) return [[path, value]];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value)
    .filter(([k]) => !(path === "" && (k.startsWith("__") || k === "urn")))
    .flatMap(([k, v]) => outputsOf(v, path === "" ? k : `${path}.${k}`));
}

test("every private key that leaves ClusterPki is a secret; certificates and public keys are not", async () => {
  const { ClusterPki } = await import("../../../components/cluster-pki");
  registered.length = 0;
  const pki = new ClusterPki("leak", { clusterName: "lab", validityDays: 365, etcdMembers: members, kubernetes: { ...kubernetes, nodes, clients: { kwok: "onprem-k8s:kwok" } } });
  await settle();
  const outputs = await Promise.all(outputsOf(pki).map(async ([path, o]) => ({ path, value: await valueOf(o), secret: await pulumi.isSecret(o) })));
  const isKey = (path: string) => /(^|\.)(key|caKey)$/.test(path);
  expect(outputs.filter((o) => isKey(o.path) && !o.secret).map((o) => o.path)).toEqual([]);
  expect(outputs.filter((o) => !isKey(o.path) && o.secret).map((o) => o.path)).toEqual([]);
  // Not a vacuous walk: every key ClusterPki makes leaves it, except the etcd and front-proxy CAs', which only sign.
  const made = registered.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => `KEY ${r.name}`);
  const handedOut = outputs.filter((o) => isKey(o.path)).map((o) => o.value);
  expect(made.filter((k) => !handedOut.includes(k)).sort()).toEqual(["KEY leak-etcd-ca-key", "KEY leak-front-proxy-ca-key"]);
  expect(outputs.find((o) => o.path === "kubernetes.nodes.w1.serving.key")).toMatchObject({ value: "KEY leak-kubelet-serving-w1-key", secret: true });
});

describe("a CA rotation", () => {
  const rotated = async (name: string, caGeneration: number, caRotation?: "trust" | "issue") => {
    const { ClusterPki } = await import("../../../components/cluster-pki");
    registered.length = 0;
    const pki = new ClusterPki(name, { clusterName: "lab", validityDays: 365, etcdMembers: members, kubernetes, caGeneration, caRotation });
    await settle();
    const cas = registered.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert").map((r) => `${r.name} ${r.inputs.subject.commonName}`);
    const signerOf = (cert: string) => registered.find((r) => r.name === `${name}-${cert}`)!.inputs.caCertPem;
    return {
      cas: cas.sort(),
      etcd: { trusted: await valueOf(pki.etcdCaCert), signer: signerOf("etcd-server-lab1") },
      kube: { trusted: await valueOf(pki.kubernetes!.caCert), signer: signerOf("apiserver"), signerCert: await valueOf(pki.kubernetes!.caSignerCert), key: await valueOf(pki.kubernetes!.caKey) },
      frontProxy: { trusted: await valueOf(pki.kubernetes!.frontProxyCaCert), signer: signerOf("front-proxy-client") },
    };
  };

  test("generation 0 keeps the names the CAs had before rotations, and trusts only its own CAs", async () => {
    const r = await rotated("g0", 0);
    expect(r.cas).toEqual(["g0-etcd-ca lab-etcd-ca", "g0-front-proxy-ca lab-front-proxy-ca", "g0-kube-ca lab-kubernetes-ca"]);
    expect(r.etcd).toEqual({ trusted: "CERT g0-etcd-ca", signer: "CERT g0-etcd-ca" });
    expect(r.kube).toEqual({ trusted: "CERT g0-kube-ca", signer: "CERT g0-kube-ca", signerCert: "CERT g0-kube-ca", key: "KEY g0-kube-ca-key" });
  });

  test("trust: both generations exist and are trusted, the old one still signs", async () => {
    const r = await rotated("t", 1, "trust");
    expect(r.cas).toEqual([
      "t-etcd-ca lab-etcd-ca",
      "t-etcd-ca-gen1 lab-etcd-ca-gen1",
      "t-front-proxy-ca lab-front-proxy-ca",
      "t-front-proxy-ca-gen1 lab-front-proxy-ca-gen1",
      "t-kube-ca lab-kubernetes-ca",
      "t-kube-ca-gen1 lab-kubernetes-ca-gen1",
    ]);
    expect(r.etcd).toEqual({ trusted: "CERT t-etcd-ca\nCERT t-etcd-ca-gen1\n", signer: "CERT t-etcd-ca" });
    expect(r.kube).toEqual({ trusted: "CERT t-kube-ca\nCERT t-kube-ca-gen1\n", signer: "CERT t-kube-ca", signerCert: "CERT t-kube-ca", key: "KEY t-kube-ca-key" });
    expect(r.frontProxy).toEqual({ trusted: "CERT t-front-proxy-ca\nCERT t-front-proxy-ca-gen1\n", signer: "CERT t-front-proxy-ca" });
  });

  test("issue: the new generation signs every certificate, and both are still trusted", async () => {
    const r = await rotated("i", 2, "issue");
    expect(r.cas).toContain("i-kube-ca-gen1 lab-kubernetes-ca-gen1");
    expect(r.cas).toContain("i-kube-ca-gen2 lab-kubernetes-ca-gen2");
    expect(r.etcd).toEqual({ trusted: "CERT i-etcd-ca-gen2\nCERT i-etcd-ca-gen1\n", signer: "CERT i-etcd-ca-gen2" });
    expect(r.kube).toEqual({ trusted: "CERT i-kube-ca-gen2\nCERT i-kube-ca-gen1\n", signer: "CERT i-kube-ca-gen2", signerCert: "CERT i-kube-ca-gen2", key: "KEY i-kube-ca-gen2-key" });
    expect(r.frontProxy.signer).toBe("CERT i-front-proxy-ca-gen2");
  });

  test("done: only the new generation is left and trusted", async () => {
    const r = await rotated("d", 1);
    expect(r.cas).toEqual(["d-etcd-ca-gen1 lab-etcd-ca-gen1", "d-front-proxy-ca-gen1 lab-front-proxy-ca-gen1", "d-kube-ca-gen1 lab-kubernetes-ca-gen1"]);
    expect(r.kube.trusted).toBe("CERT d-kube-ca-gen1");
    expect(r.etcd.signer).toBe("CERT d-etcd-ca-gen1");
  });
});
