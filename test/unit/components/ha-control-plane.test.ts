// ClusterPki's Kubernetes certificates and HaControlPlane under mocks: which certificates, with which names and SANs;
// the rolling chain of master steps, the gates, and that keys only travel as secrets.
import * as pulumi from "@pulumi/pulumi";
import { HostSpec } from "../../../spec/cluster";
import { secretInputKeys, unwrap } from "../stack/stack-harness";
import { settle, tlsState } from "./mocks";
import { testHostKey } from "../hosts";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  dependsOn: string[];
  /** The top-level inputs that arrived as Pulumi secrets (wholly or in part). */
  secretInputs: string[];
}
const registered: Registered[] = [];
const dependsOnByName = new Map<string, string[]>();

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = unwrap(args.inputs) as Record<string, any>;
        registered.push({ type: args.type, name: args.name, inputs, dependsOn: dependsOnByName.get(args.name) ?? [], secretInputs: secretInputKeys(args.inputs) });
        const outputs: Record<string, string> = {};
        if (args.type === "tls:index/privateKey:PrivateKey") Object.assign(outputs, { privateKeyPem: `KEY ${args.name}`, publicKeyPem: `PUB ${args.name}` });
        if (args.type === "tls:index/certRequest:CertRequest") outputs.certRequestPem = `CSR ${args.name}`;
        if (args.type.endsWith("Cert")) Object.assign(outputs, { certPem: `CERT ${args.name}`, validityEndTime: "2999-01-01T00:00:00Z" });
        return { id: `${args.name}-id`, state: tlsState(args.type, args.inputs, outputs) };
      },
      call: (args) => args.inputs,
    },
    "onprem-k8s",
    "test",
    false,
  ),
);

const host = (name: string, address: string): HostSpec => ({ name, address, sshPort: 22, sshUser: "root", sshHostKey: testHostKey(name), roles: ["etcd", "master", "lb"], labels: {}, taints: [] });
const masters = [host("lab1", "172.31.250.11"), host("lab2", "172.31.250.12"), host("lab3", "172.31.250.13")];
const get = (name: string) => registered.find((r) => r.name === name)!;

let adminKubeconfig: { value: string; secret: boolean };

beforeAll(async () => {
  const command = await import("@pulumi/command");
  const { ClusterPki } = await import("../../../components/cluster-pki");
  const { HaControlPlane } = await import("../../../components/ha-control-plane");
  await pulumi.runtime.runInPulumiStack(async () => {
    // Mocks see inputs, not options: record each resource's dependsOn by name.
    pulumi.runtime.registerStackTransformation((args) => {
      const deps = args.opts.dependsOn;
      const list = (deps === undefined ? [] : Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[];
      dependsOnByName.set(
        args.name,
        list.map((r) => (r as unknown as { __name: string }).__name),
      );
      return undefined;
    });
    const pki = new ClusterPki("pki", {
      clusterName: "lab",
      validityDays: 365,
      etcdMembers: masters,
      kubernetes: { masters, apiServerExtraIps: ["172.31.250.101"], serviceIp: "10.96.0.1", clusterDomain: "cluster.local", clients: { kwok: "onprem-k8s:kwok" } },
    });
    const etcdHealthy = new command.local.Command("etcd-health", { create: "true" });
    const apiLb = new command.local.Command("api-lb", { create: "true" });
    const cp = new HaControlPlane(
      "control-plane",
      {
        clusterName: "lab",
        masters,
        sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----"),
        artifact: { url: "http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz", sha256: "a".repeat(64) },
        version: "v1.35.4",
        apiAddress: "172.31.250.101",
        apiAddressDependsOn: [apiLb],
        network: { serviceCidr: "10.96.0.0/16", podCidr: "10.244.0.0/16", nodeSubnetLength: 24, nodePortRange: { min: 30000, max: 32767 }, clusterDomain: "cluster.local" },
        etcd: { endpoints: masters.map((m) => `https://${m.address}:2379`), caCert: pki.etcdCaCert },
        pki: pki.kubernetes!,
        secretsEncryptionKey: pulumi.secret(Buffer.alloc(32, 7).toString("base64")),
        extraArgs: { apiServer: { "event-ttl": "2h" } },
      },
      { dependsOn: [etcdHealthy] },
    );
    adminKubeconfig = await new Promise((resolve) => pulumi.all([cp.adminKubeconfig, pulumi.isSecret(cp.adminKubeconfig)]).apply(([value, secret]) => resolve({ value, secret })));
    return {};
  });
  await settle();
});

describe("ClusterPki: the Kubernetes certificates", () => {
  test("a Kubernetes CA and a front-proxy CA beside the etcd CA", () => {
    const cas = registered
      .filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")
      .map((r) => r.name)
      .sort();
    expect(cas).toEqual(["pki-etcd-ca", "pki-front-proxy-ca", "pki-kube-ca"]);
  });

  test("the apiserver certificate names the VIP, every master, 127.0.0.1, the kubernetes Service IP and names", () => {
    const csr = get("pki-apiserver-csr").inputs;
    expect(csr.ipAddresses).toEqual(["172.31.250.101", "172.31.250.11", "172.31.250.12", "172.31.250.13", "127.0.0.1", "10.96.0.1"]);
    expect(csr.dnsNames).toEqual(["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost", "lab1", "lab2", "lab3"]);
    expect(get("pki-apiserver").inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth"]);
    expect(get("pki-apiserver").inputs.caCertPem).toBe("CERT pki-kube-ca");
  });

  test("clients carry the user and group Kubernetes reads from them; the etcd client is signed by the etcd CA", () => {
    const subject = (name: string) => get(`${name}-csr`).inputs.subject;
    expect(subject("pki-controller-manager")).toEqual({ commonName: "system:kube-controller-manager" });
    expect(subject("pki-scheduler")).toEqual({ commonName: "system:kube-scheduler" });
    expect(subject("pki-admin")).toEqual({ commonName: "kubernetes-admin", organization: "system:masters" });
    expect(subject("pki-client-kwok")).toEqual({ commonName: "onprem-k8s:kwok" });
    expect(subject("pki-front-proxy-client")).toEqual({ commonName: "front-proxy-client" });
    expect(get("pki-front-proxy-client").inputs.caCertPem).toBe("CERT pki-front-proxy-ca");
    expect(get("pki-apiserver-etcd-client").inputs.caCertPem).toBe("CERT pki-etcd-ca");
    expect(get("pki-apiserver-kubelet-client").inputs.allowedUses).toContain("client_auth");
    // The etcd certificates keep their subject: adding Kubernetes does not re-issue them.
    expect(subject("pki-etcd-server-lab1")).toEqual({ commonName: "lab1", organization: "onprem-k8s" });
  });

  test("the service-account key pair is RSA", () => {
    expect(get("pki-service-account-key").inputs).toEqual({ algorithm: "RSA", rsaBits: 2048 });
  });
});

describe("HaControlPlane", () => {
  test("every master installs the kubernetes-server binaries, then runs its step", () => {
    masters.forEach((m) => {
      expect(get(`control-plane-${m.name}-kubernetes-install`).inputs.create).toContain("kube-apiserver kube-controller-manager kube-scheduler kubectl");
      expect(get(`control-plane-${m.name}-master`).dependsOn).toContain(`control-plane-${m.name}-kubernetes-install`);
    });
  });

  test("master steps form a rolling chain that starts after etcd is healthy", () => {
    expect(get("control-plane-lab1-master").dependsOn).toEqual(["control-plane-lab1-kubernetes-install", "etcd-health"]);
    expect(get("control-plane-lab2-master").dependsOn).toEqual(["control-plane-lab2-kubernetes-install", "control-plane-lab1-master"]);
    expect(get("control-plane-lab3-master").dependsOn).toEqual(["control-plane-lab3-kubernetes-install", "control-plane-lab2-master"]);
  });

  test("the ready gate waits for every master and the API load balancer, and checks the VIP", () => {
    const ready = get("control-plane-ready");
    expect(ready.dependsOn).toEqual(["control-plane-lab1-master", "control-plane-lab2-master", "control-plane-lab3-master", "api-lb"]);
    expect(ready.inputs.create).toContain("--server https://172.31.250.101:6443");
    expect(ready.inputs.connection.host).toBe("172.31.250.11");
  });

  test("master scripts are plain and carry the extra flag; keys and the encryption key come on a secret stdin; removed on delete", () => {
    const step = get("control-plane-lab2-master");
    expect(step.secretInputs.sort()).toEqual(["connection", "stdin"]);
    expect(JSON.stringify({ ...step.inputs, stdin: undefined })).not.toContain("KEY pki-");
    expect(step.inputs.create).not.toContain(Buffer.alloc(32, 7).toString("base64"));
    expect(step.inputs.create).toContain("CERT pki-apiserver");
    expect(step.inputs.stdin).toContain("@@secret apiserver.key\nKEY pki-apiserver-key\n");
    expect(step.inputs.stdin).toContain(`secret: ${Buffer.alloc(32, 7).toString("base64")}`);
    expect(step.inputs.create).toContain("--event-ttl=2h");
    expect(step.inputs.create).toContain("--bind-address=172.31.250.12");
    expect(step.inputs.delete).toContain("systemctl disable --now kube-control-plane-ensure.timer kube-apiserver kube-controller-manager kube-scheduler");
  });

  test("the admin kubeconfig is a secret that points at the VIP", () => {
    expect(adminKubeconfig.secret).toBe(true);
    expect(adminKubeconfig.value).toContain("server: https://172.31.250.101:6443");
    expect(adminKubeconfig.value).toContain(`client-key-data: ${Buffer.from("KEY pki-admin-key").toString("base64")}`);
  });

  test("refuses an empty list of masters", async () => {
    const { HaControlPlane } = await import("../../../components/ha-control-plane");
    expect(() => new HaControlPlane("none", { masters: [] } as never)).toThrow("HaControlPlane none: masters is empty");
  });
});
