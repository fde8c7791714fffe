import { validateClusterConfig } from "../../../config";
import { NS, SECRET_KEYS, validRawConfig } from "./fixture";
import { testHostKey } from "../hosts";
import type { TraefikSpec } from "../../../spec/traefik";
import { ADDONS } from "../../../addons";

const WEB = { name: "web", image: "nginx:1.25", ports: [{ containerPort: 80 }] };

function problemsOf(mutate: (raw: Record<string, any>) => void, secretKeys: ReadonlySet<string> = SECRET_KEYS): readonly string[] {
  const raw = validRawConfig();
  mutate(raw);
  return validateClusterConfig(raw, secretKeys, NS, ADDONS).problems;
}

describe("validateClusterConfig", () => {
  test("registries: seed 000's over HTTP and one with the site's CA are typed; none by default", () => {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIBsite\n-----END CERTIFICATE-----\n";
    // A stack that runs its own nodes: its control plane's and nodes' releases, and the encryption key.
    const raw: Record<string, any> = {
      ...validRawConfig(),
      secretsEncryptionKey: Buffer.alloc(32, 1).toString("base64"),
      registries: [
        { host: "10.66.221.138:5500", http: true },
        { host: "harbor.example.com", caCert: ca },
      ],
    };
    raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
    raw.versions.kubernetes = "v1.34.4";
    raw.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
    const { spec, problems } = validateClusterConfig(raw, new Set([...SECRET_KEYS, "secretsEncryptionKey"]), NS, ADDONS);
    expect(problems).toEqual([]);
    expect(spec.registries).toEqual([
      { host: "10.66.221.138:5500", http: true },
      { host: "harbor.example.com", http: false, caCert: ca },
    ]);
    expect(validateClusterConfig(validRawConfig(), SECRET_KEYS, NS, ADDONS).spec.registries).toEqual([]);
  });

  test("versions.kubernetes may leave out the v: the release is named as the binaries print it", () => {
    const raw = validRawConfig();
    raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
    raw.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
    raw.secretsEncryptionKey = Buffer.alloc(32, 1).toString("base64");
    raw.versions.kubernetes = "1.35.4";
    const { spec, problems } = validateClusterConfig(raw, new Set([...SECRET_KEYS, "secretsEncryptionKey"]), NS, ADDONS);
    expect(problems).toEqual([]);
    expect(spec.versions.kubernetes).toBe("v1.35.4");
  });

  test("a host key line keeps its type and key, not its comment", () => {
    const raw = validRawConfig();
    raw.hosts[0].sshHostKey = `${raw.hosts[0].sshHostKey} root@m1`;
    expect(validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS).spec.hosts[0].sshHostKey).toBe(testHostKey("m1"));
  });

  test("accepts the valid fixture and types it", () => {
    const { spec, problems } = validateClusterConfig(validRawConfig(), SECRET_KEYS, NS, ADDONS);
    expect(problems).toEqual([]);
    expect(spec.hosts[3]).toEqual({
      name: "w1",
      address: "10.0.0.21",
      sshPort: 22,
      sshUser: "root",
      sshHostKey: testHostKey("w1"),
      roles: ["worker"],
      labels: { storage: "ssd" },
      taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
    });
    expect(spec.network.nodePortRange).toEqual({ min: 30000, max: 32767 });
    expect(spec.network.clusterDomain).toBe("cluster.local");
    expect(spec.pki).toEqual({ validityDays: 3650, expiryWarningDays: 30, caGeneration: 0 });
    expect(spec.loadBalancers[0].failback).toBe("never");
  });

  test.each(["immediate", 30] as const)("keeps a load balancer's failback %s", (failback) => {
    const raw = validRawConfig();
    raw.loadBalancers[0].failback = failback;
    const { spec, problems } = validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS);
    expect(problems).toEqual([]);
    expect(spec.loadBalancers[0].failback).toBe(failback);
  });

  test("versions.traefik pins Traefik's image unless traefik.image names one", () => {
    const withVersion = (traefik: Record<string, unknown>) => {
      const raw = validRawConfig();
      raw.versions = { ...raw.versions, traefik: "3.1.7" };
      raw.traefik = traefik;
      raw.hosts.push({ name: "e1", address: "10.0.0.31", sshHostKey: testHostKey("e1"), roles: ["edge"] }, { name: "e2", address: "10.0.0.32", sshHostKey: testHostKey("e2"), roles: ["edge"] });
      raw.loadBalancers.push({ name: "edge", vip: "10.0.0.200", virtualRouterId: 52, hostRole: "edge", backendRole: "edge", ports: [80, 443] });
      const { spec, problems } = validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS);
      expect(problems).toEqual([]);
      return (spec.addons.traefik as TraefikSpec | undefined)?.image;
    };
    expect(withVersion({ defaultIngressClass: true })).toBe("traefik:v3.1.7");
    expect(withVersion({ image: "registry.local/traefik:v3.1.6" })).toBe("registry.local/traefik:v3.1.6");
  });

  const cases: [string, (raw: Record<string, any>) => void, string, ReadonlySet<string>?][] = [
    [
      "a host without its SSH host key",
      (r) => {
        delete r.hosts[1].sshHostKey;
        r.hosts[1].sshPort = 2222;
      },
      "onprem-k8s:hosts[1].sshHostKey: is missing: every SSH step would trust whichever machine answers at the address; pin the host's key: run `ssh-keyscan -t ed25519 -p 2222 10.0.0.12`, compare its fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host's console, and give the line without the address",
    ],
    [
      "a host key as ssh-keyscan prints it, address first",
      (r) => (r.hosts[0].sshHostKey = `10.0.0.11 ${r.hosts[0].sshHostKey}`),
      'onprem-k8s:hosts[0].sshHostKey: starts with "10.0.0.11", as ssh-keyscan prints it; give the line without that first field: "ssh-ed25519 AAAAC3NzaC1l..."',
    ],
    [
      "a host key whose type is not the one its blob names",
      (r) => (r.hosts[0].sshHostKey = r.hosts[0].sshHostKey.replace("ssh-ed25519", "ssh-rsa")),
      "onprem-k8s:hosts[0].sshHostKey: is not an SSH public key line; give TYPE BASE64 as in the host's /etc/ssh/ssh_host_ed25519_key.pub, where TYPE is one of ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa (`ssh-keyscan -t ed25519 -p 22 10.0.0.11` prints it after the address)",
    ],
    [
      "a misspelt host field",
      (r) => {
        r.hosts[0].sshHostkey = r.hosts[0].sshHostKey;
        delete r.hosts[0].sshHostKey;
      },
      'onprem-k8s:hosts[0].sshHostkey: is not a known field; did you mean "sshHostKey"?',
    ],
    [
      "a host key that is not text",
      (r) => (r.hosts[0].sshHostKey = 42),
      "onprem-k8s:hosts[0].sshHostKey: is not an SSH public key line; give TYPE BASE64 as in the host's /etc/ssh/ssh_host_ed25519_key.pub, where TYPE is one of ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa (`ssh-keyscan -t ed25519 -p 22 10.0.0.11` prints it after the address)",
    ],
    [
      "a registry with a scheme",
      (r) => (r.registries = [{ host: "http://10.66.221.138:5500", http: true }]),
      'onprem-k8s:registries[0].host: "http://10.66.221.138:5500" is not HOST or HOST:PORT; give the registry as image names start with it, such as 10.66.221.138:5500 or harbor.example.com, without a scheme or path',
    ],
    [
      "a registry given twice",
      (r) =>
        (r.registries = [
          { host: "10.66.221.138:5500", http: true },
          { host: "10.66.221.138:5500", http: true },
        ]),
      'onprem-k8s:registries[1].host: "10.66.221.138:5500" is given twice; give each registry once',
    ],
    ["a registry with neither http nor caCert", (r) => (r.registries = [{ host: "10.66.221.138:5500" }]), "onprem-k8s:registries[0]: needs exactly one of http, caCert; give one of them"],
    [
      "a registry with http: false",
      (r) => (r.registries = [{ host: "harbor.example.com", http: false }]),
      "onprem-k8s:registries[0].http: is false; leave http out and give caCert for a registry with its own CA; a registry with a public certificate needs no entry",
    ],
    [
      "registries in a stack that does not run its nodes",
      (r) => (r.registries = [{ host: "10.66.221.138:5500", http: true }]),
      "onprem-k8s:registries: is set, but the stack does not run its nodes (it has no artifacts.kubernetes), so nothing would apply it; configure the registries in the containerd of the cluster's own nodes, or drop registries",
    ],
    [
      "a registry CA that is not PEM",
      (r) => (r.registries = [{ host: "harbor.example.com", caCert: "MIIB..." }]),
      "onprem-k8s:registries[0].caCert: is not a PEM certificate; give the CA certificate as -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----",
    ],
    [
      "pod network overlapping the host network",
      (r) => (r.network.podCidr = "10.0.0.0/16"),
      "onprem-k8s:network.podCidr: 10.0.0.0/16 overlaps onprem-k8s:network.hostCidr 10.0.0.0/24; give the host, pod and service networks separate address ranges",
    ],
    [
      "service network overlapping the pod network",
      (r) => (r.network.serviceCidr = "10.244.128.0/17"),
      "onprem-k8s:network.serviceCidr: 10.244.128.0/17 overlaps onprem-k8s:network.podCidr 10.244.0.0/16; give the host, pod and service networks separate address ranges",
    ],
    [
      "seed 004's flannel network over the hosts' 192.168.x addresses",
      (r) => {
        r.network.hostCidr = "192.168.10.0/24";
        r.network.podCidr = "192.168.0.0/16";
        r.hosts.forEach((h: any, i: number) => (h.address = `192.168.10.${11 + i}`));
        r.loadBalancers[0].vip = "192.168.10.100";
      },
      "onprem-k8s:network.podCidr: 192.168.0.0/16 overlaps onprem-k8s:network.hostCidr 192.168.10.0/24; give the host, pod and service networks separate address ranges",
    ],
    ["a network with host bits", (r) => (r.network.serviceCidr = "10.96.0.1/16"), 'onprem-k8s:network.serviceCidr: "10.96.0.1/16" is not an IPv4 network; give it as a.b.c.d/n with no host bits set'],
    [
      "cluster DNS IP outside the service network",
      (r) => (r.network.clusterDnsIp = "10.97.0.10"),
      'onprem-k8s:network.clusterDnsIp: "10.97.0.10" is not inside serviceCidr 10.96.0.0/16; pick an address inside the service network, such as its tenth address',
    ],
    [
      "node subnet no longer than the pod network",
      (r) => (r.network.nodeSubnetLength = 16),
      "onprem-k8s:network.nodeSubnetLength: 16 does not split the pod network into node subnets; give a prefix length longer than the pod network's /16 and at most 30",
    ],
    [
      "VIP outside the hosts' subnet",
      (r) => (r.loadBalancers[0].vip = "10.0.1.100"),
      "onprem-k8s:loadBalancers[0].vip: 10.0.1.100 is outside network.hostCidr 10.0.0.0/24; pick a free address inside the hosts' subnet, or keepalived cannot announce it",
    ],
    ["VIP equal to a host address", (r) => (r.loadBalancers[0].vip = "10.0.0.12"), "onprem-k8s:loadBalancers[0].vip: 10.0.0.12 is the address of host m2; pick an address that no host uses"],
    [
      "VIP with fewer than 2 load-balancer hosts",
      (r) => (r.hosts[1].roles = ["etcd", "master"]),
      'onprem-k8s:loadBalancers[0].hostRole: a VIP needs 2 or more hosts with role "lb", found 1 that are not simulated; give the role "lb" to at least two real hosts',
    ],
    [
      "a VIP on simulated hosts",
      (r) => {
        r.hosts[3].roles = ["worker", "edge"];
        r.hosts[3].simulated = true;
        r.hosts.push({ name: "e1", address: "10.0.0.31", roles: ["edge"], simulated: true });
        r.loadBalancers.push({ name: "edge", vip: "10.0.0.200", virtualRouterId: 52, hostRole: "edge", backendRole: "edge", ports: [80, 443] });
      },
      'onprem-k8s:loadBalancers[1].hostRole: a VIP needs 2 or more hosts with role "edge", found 0 that are not simulated; give the role "edge" to at least two real hosts',
    ],
    [
      "Traefik without a load balancer in front of the edge nodes",
      (r) => (r.traefik = { defaultIngressClass: true }),
      "onprem-k8s:traefik: is configured, but no load balancer has backendRole edge; add a load balancer in front of the edge nodes (backendRole edge, ports [80, 443]) for Traefik's VIP",
    ],
    [
      "two load balancers with one VRRP router id",
      (r) => r.loadBalancers.push({ name: "edge", vip: "10.0.0.200", virtualRouterId: 51, hostRole: "lb", backendRole: "worker", ports: [80] }),
      "onprem-k8s:loadBalancers[1].virtualRouterId: 51 is also used by onprem-k8s:loadBalancers[0]; give every load balancer its own virtualRouterId",
    ],
    [
      "a VRRP router id out of range",
      (r) => (r.loadBalancers[0].virtualRouterId = 256),
      "onprem-k8s:loadBalancers[0].virtualRouterId: 256 is not a VRRP router id; give a number from 1 to 255, unique on the host network",
    ],
    [
      "a failback that keepalived cannot take",
      (r) => (r.loadBalancers[0].failback = 0),
      'onprem-k8s:loadBalancers[0].failback: 0 is not a failback; give "never" (the default: the VIP stays until the next failure), "immediate", or a delay in seconds from 1 to 1000',
    ],
    [
      "a failback given as a word it does not know",
      (r) => (r.loadBalancers[0].failback = "later"),
      'onprem-k8s:loadBalancers[0].failback: "later" is not a failback; give "never" (the default: the VIP stays until the next failure), "immediate", or a delay in seconds from 1 to 1000',
    ],
    [
      "an even number of etcd members",
      (r) => (r.hosts[2].roles = ["master"]),
      'onprem-k8s:hosts: 2 hosts have role "etcd"; give the etcd role to an odd number of hosts (1, 3 or 5) so the cluster keeps a quorum',
    ],
    [
      "zero etcd members",
      (r) => r.hosts.forEach((h: any) => (h.roles = h.roles.filter((x: string) => x !== "etcd"))),
      'onprem-k8s:hosts: 0 hosts have role "etcd"; give the etcd role to an odd number of hosts (1, 3 or 5) so the cluster keeps a quorum',
    ],
    ["duplicate host names", (r) => (r.hosts[3].name = "m1"), 'onprem-k8s:hosts[3].name: "m1" is also used by onprem-k8s:hosts[0]; give every host its own name'],
    ["duplicate host addresses", (r) => (r.hosts[3].address = "10.0.0.11"), 'onprem-k8s:hosts[3].address: "10.0.0.11" is also used by onprem-k8s:hosts[0]; give every host its own address'],
    [
      "a host outside the host network",
      (r) => (r.hosts[3].address = "10.1.0.21"),
      "onprem-k8s:hosts[3].address: 10.1.0.21 is outside network.hostCidr 10.0.0.0/24; give the host an address of the host network, or widen network.hostCidr",
    ],
    [
      "a needed role without hosts",
      (r) => r.hosts.forEach((h: any) => (h.roles = h.roles.filter((x: string) => x !== "master"))),
      'onprem-k8s:hosts: no host has role "master"; give the master role to one host, or three for high availability',
    ],
    [
      "apps without worker or edge hosts",
      (r) => {
        r.hosts.pop();
        r.apps = [{ name: "web", image: "nginx:1.25", ports: [{ containerPort: 80 }] }];
      },
      'onprem-k8s:hosts: apps are configured but no host has role "worker" or "edge"; give the worker role to the hosts that run the apps',
    ],
    ["a role nobody knows", (r) => (r.hosts[3].roles = ["wroker"]), 'onprem-k8s:hosts[3].roles: unknown role "wroker"; use only etcd, master, lb, worker, edge, registry'],
    [
      "a host name that is not DNS-1123",
      (r) => (r.hosts[3].name = "Worker_1"),
      "onprem-k8s:hosts[3].name: \"Worker_1\" is not a valid DNS-1123 label; use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
    ],
    ["a cluster name that is not DNS-1123", (r) => (r.clusterName = "-prod"), "onprem-k8s:clusterName: \"-prod\" is not a valid DNS-1123 label; use lower-case letters, digits and '-'"],
    [
      "a NodePort range beyond 65535",
      (r) => (r.network.nodePortRange = "30000-70000"),
      'onprem-k8s:network.nodePortRange: "30000-70000" is not a port range within 1-65535; give it as MIN-MAX, for example 30000-32767',
    ],
    [
      "a NodePort range over control-plane ports",
      (r) => (r.network.nodePortRange = "2000-7000"),
      "onprem-k8s:network.nodePortRange: 2000-7000 includes 2379 (etcd client), 2380 (etcd peer), 6443 (kube-apiserver); choose a range above 10259, for example 30000-32767",
    ],
    [
      "a NodePort range over the hosts' metrics ports",
      (r) => (r.network.nodePortRange = "8000-10249"),
      "onprem-k8s:network.nodePortRange: 8000-10249 includes 8082 (traefik ping), 8405 (haproxy metrics), 9100 (node_exporter), 10249 (kube-proxy metrics); choose a range above 10259, for example 30000-32767",
    ],
    [
      "the SSH key given in plain text",
      () => undefined,
      "onprem-k8s:sshPrivateKey: is a secret given in plain text; set it with `pulumi config set --secret sshPrivateKey`",
      new Set(["loadBalancerAuthPassword"]),
    ],
    [
      "the VRRP password given in plain text",
      () => undefined,
      "onprem-k8s:loadBalancerAuthPassword: is a secret given in plain text; set it with `pulumi config set --secret loadBalancerAuthPassword`",
      new Set(["sshPrivateKey"]),
    ],
    [
      "load balancers without a VRRP password",
      (r) => delete r.loadBalancerAuthPassword,
      "onprem-k8s:loadBalancerAuthPassword: is not set, but loadBalancers are configured; set the VRRP password with `pulumi config set --secret loadBalancerAuthPassword`",
    ],
    [
      "a VRRP password longer than keepalived reads",
      (r) => (r.loadBalancerAuthPassword = "123456789"),
      "onprem-k8s:loadBalancerAuthPassword: is not 1 to 8 characters long; keepalived uses only the first 8 characters of a PASS password: give at most 8",
    ],
    ["etcd hosts without an etcd artifact", (r) => (r.artifacts = {}), "onprem-k8s:artifacts.etcd: is not set, but hosts have role etcd; give the etcd release .tar.gz as {url or path, sha256}"],
    [
      "an election timeout under five heartbeats",
      (r) => (r.etcd = { heartbeatIntervalMs: 300, electionTimeoutMs: 1000 }),
      "onprem-k8s:etcd.electionTimeoutMs: 1000 is less than 5 heartbeats (1500); etcd refuses to start: make it at least five times heartbeatIntervalMs",
    ],
    [
      "a CA rotation phase that does not exist",
      (r) => (r.pki = { caGeneration: 1, caRotation: "swap" }),
      'onprem-k8s:pki.caRotation: "swap" is not a phase of a CA rotation; give "trust", then "issue", then remove the key (docs/operations.md, "Rotate the CAs")',
    ],
    [
      "a CA rotation that stays on generation 0",
      (r) => (r.pki = { caRotation: "trust" }),
      "onprem-k8s:pki.caRotation: is set, but pki.caGeneration is 0: a rotation moves to a new generation; set pki.caGeneration to one more than the CAs' generation now (1 for the first rotation)",
    ],
    [
      "a negative CA generation",
      (r) => (r.pki = { caGeneration: -1 }),
      "onprem-k8s:pki.caGeneration: -1 is not a whole number of 0 or more; give the CAs' generation: 0 until the first CA rotation, then one more with each",
    ],
    ["a backup retention of zero", (r) => (r.etcd = { backupRetention: 0 }), "onprem-k8s:etcd.backupRetention: 0 is not a positive whole number; give a number such as the default 24"],
    [
      "an old encryption key that is the current one",
      (r) => {
        r.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
        r.versions.kubernetes = "v1.34.4";
        r.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
        r.secretsEncryptionKey = r.secretsEncryptionOldKey = Buffer.alloc(32, 1).toString("base64");
      },
      "onprem-k8s:secretsEncryptionOldKey: is the same key as secretsEncryptionKey; to rotate, set secretsEncryptionKey to a new key (`head -c 32 /dev/urandom | base64`); after a rotation, remove secretsEncryptionOldKey",
      new Set([...SECRET_KEYS, "secretsEncryptionKey", "secretsEncryptionOldKey"]),
    ],
    [
      "a restore from a host that is not an etcd member",
      (r) => (r.etcd = { restore: { id: "r1", snapshot: { member: "w1" } } }),
      'onprem-k8s:etcd.restore.snapshot.member: "w1" is not an etcd member; name a host with role etcd: m1, m2, m3',
    ],
    [
      "a restore without an id",
      (r) => (r.etcd = { restore: { snapshot: { member: "m1" } } }),
      "onprem-k8s:etcd.restore.id: undefined is not a restore id; give lower-case letters, digits and '-' (at most 40), such as the date: the restore runs once per id",
    ],
    [
      "a restore from a member file that is not an absolute path",
      (r) => (r.etcd = { restore: { id: "r1", snapshot: { member: "m1", file: "snap.db" } } }),
      'onprem-k8s:etcd.restore.snapshot.file: "snap.db" is not an absolute path; give the snapshot\'s path on the member, or leave file out for its newest backup',
    ],
    [
      "a restore from a local file that does not exist",
      (r) => (r.etcd = { restore: { id: "r1", snapshot: { path: "/nonexistent/etcd.db", sha256: "e".repeat(64) } } }),
      'onprem-k8s:etcd.restore.snapshot.path: "/nonexistent/etcd.db" is not a file on this machine; give the path of the snapshot to upload to every member',
    ],
    [
      "a restore naming both a member and a local file",
      (r) => (r.etcd = { restore: { id: "r1", snapshot: { member: "m1", path: "/tmp/x.db" } } }),
      "onprem-k8s:etcd.restore.snapshot: needs exactly one of member and path; give {id: 2026-11-30-1, snapshot: {member: HOST}} (its newest backup), {member: HOST, file: /ABS/PATH.db} or {path: LOCAL.db, sha256: HEX}",
    ],
    [
      "a password nested in plain config",
      (r) => (r.hosts[0].sshPassword = "hunter2"),
      "onprem-k8s:hosts[0].sshPassword: looks like a secret given in plain text; move the value into its own key set with `pulumi config set --secret` and refer to that key",
    ],
    ["a token key given in plain text", (r) => (r.registryToken = "abc"), "onprem-k8s:registryToken: is a secret given in plain text; set it with `pulumi config set --secret registryToken`"],
    ["no SSH key at all", (r) => delete r.sshPrivateKey, "onprem-k8s:sshPrivateKey: is not set; set it with `pulumi config set --secret sshPrivateKey < FILE`"],
    ["an app without its required fields", (r) => (r.apps = [{ name: "web" }]), "onprem-k8s:apps[0].image: is not set; give image"],
    [
      "an app field of the wrong type",
      (r) => (r.apps = [{ name: "web", image: "nginx:1.25", ports: [{ containerPort: "80" }] }]),
      'onprem-k8s:apps[0].ports[0].containerPort: "80" is not a whole number; give a whole number',
    ],
    [
      "service.ports given as one object",
      (r) => (r.apps = [{ ...WEB, service: { type: "NodePort", ports: { port: 80, nodePort: 30080 } } }]),
      'onprem-k8s:apps[0].service.ports: {"port":80,"nodePort":30080} is not a list; give a list, in [ ] or as YAML items',
    ],
    ["configFiles without mounts", (r) => (r.apps = [{ ...WEB, configFiles: { files: { "a.conf": "x" } } }]), "onprem-k8s:apps[0].configFiles.mounts: is not set; give mounts"],
    [
      "a subPath mount without its key",
      (r) => (r.apps = [{ ...WEB, configFiles: { files: { "a.conf": "x" }, mounts: [{ style: "subPath", mountPath: "/etc/a.conf" }] } }]),
      "onprem-k8s:apps[0].configFiles.mounts[0].key: is not set; give key",
    ],
    [
      "an items mount with a subPath mount's key",
      (r) => (r.apps = [{ ...WEB, configFiles: { files: { "a.conf": "x" }, mounts: [{ style: "items", key: "a.conf", mountPath: "/etc/a", items: [{ key: "a.conf", path: "a.conf" }] }] } }]),
      "onprem-k8s:apps[0].configFiles.mounts[0].key: is not a known field; use one of style, mountPath, items",
    ],
    [
      "a mount without its style",
      (r) => (r.apps = [{ ...WEB, configFiles: { files: { "a.conf": "x" }, mounts: [{ key: "a.conf", mountPath: "/etc/a.conf" }] } }]),
      "onprem-k8s:apps[0].configFiles.mounts[0].style: is not set; give style: one of subPath, items",
    ],
    [
      "a mount of an unknown style",
      (r) => (r.apps = [{ ...WEB, configFiles: { files: { "a.conf": "x" }, mounts: [{ style: "file", key: "a.conf", mountPath: "/etc/a.conf" }] } }]),
      'onprem-k8s:apps[0].configFiles.mounts[0].style: "file" is not allowed; use one of subPath, items',
    ],
    ["a misspelt app field", (r) => (r.apps = [{ ...WEB, replicsa: 2 }]), 'onprem-k8s:apps[0].replicsa: is not a known field; did you mean "replicas"?'],
    [
      "a probe with two kinds",
      (r) => (r.apps = [{ ...WEB, livenessProbe: { httpGet: { path: "/", port: 80 }, tcpSocket: { port: 80 } } }]),
      "onprem-k8s:apps[0].livenessProbe: needs exactly one of http, httpGet, tcp, tcpSocket, exec; give one of them",
    ],
    [
      "an enumeration outside its values",
      (r) => (r.apps = [{ ...WEB, imagePullPolicy: "always" }]),
      'onprem-k8s:apps[0].imagePullPolicy: "always" is not allowed; use one of Always, IfNotPresent, Never',
    ],
    ["a misspelt top-level key", (r) => (r.etdc = { heartbeatIntervalMs: 100 }), 'onprem-k8s:etdc: is not a key onprem-k8s reads; did you mean "etcd"?'],
    [
      "a top-level key far from any known one",
      (r) => (r.colour = "blue"),
      "onprem-k8s:colour: is not a key onprem-k8s reads; use one of clusterName, hosts, sshPrivateKey, network, loadBalancers, loadBalancerAuthPassword, etcd, versions, artifacts, aptSource, registries, imageRegistry, registryPushPassword, registryPullPassword, pki, secretsEncryptionKey, secretsEncryptionOldKey, kubernetes, kubeconfig, apps, traefik, ceph, cephAdminKey, cephUserKey, monitoring, alertWebhookUrl, logging, dashboard, grafana, grafanaAdminPassword",
    ],
    [
      "a host label value longer than 63 characters",
      (r) => (r.hosts[3].labels = { storage: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }),
      "onprem-k8s:hosts[3].labels.storage: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).",
    ],
    [
      "an app's nodeSelector key that is no label key",
      (r) => (r.apps = [{ ...WEB, nodeSelector: { "disk type": "ssd" } }]),
      "onprem-k8s:apps[0].nodeSelector.disk type: \"disk type\" is not a valid label key (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).",
    ],
    [
      "an image reference with a space",
      (r) => (r.apps = [{ ...WEB, image: "nginx: 1.25" }]),
      'onprem-k8s:apps[0].image: "nginx: 1.25" is not a valid image reference; use [registry/]name[:tag][@sha256:digest] with a lower-case name and no spaces.',
    ],
    [
      "a version that no component reads",
      (r) => (r.versions = { etcd: "3.5.21" }),
      "onprem-k8s:versions.etcd: is not a version onprem-k8s reads; the release in artifacts.etcd decides it: drop this key",
    ],
    ["a misspelt version", (r) => (r.versions = { coreDNS: "1.11.3" }), 'onprem-k8s:versions.coreDNS: is not a version onprem-k8s reads; did you mean "coredns"?'],
    [
      "kubeletFailCgroupV1 that is not a boolean",
      (r) => (r.kubernetes = { kubeletFailCgroupV1: "no" }),
      'onprem-k8s:kubernetes.kubeletFailCgroupV1: "no" is not true or false; give false to let kubelets from v1.35 run on hosts with cgroup v1, or leave it out',
    ],
    [
      "a Kubernetes version in a stack that installs no Kubernetes",
      (r) => (r.versions.kubernetes = "v1.35.4"),
      "onprem-k8s:versions.kubernetes: is set, but the stack installs no Kubernetes (no artifacts.kubernetes); drop it, or give artifacts.kubernetes and hosts with role master",
    ],
    [
      "the Kubernetes release without its version",
      (r) => {
        r.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
        r.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
        r.secretsEncryptionKey = Buffer.alloc(32, 1).toString("base64");
      },
      "onprem-k8s:versions.kubernetes: is not set, but the stack installs Kubernetes (artifacts.kubernetes); give the release that artifacts.kubernetes and artifacts.kubernetesNode hold, as `kube-apiserver --version` prints it, such as v1.34.4",
      new Set([...SECRET_KEYS, "secretsEncryptionKey"]),
    ],
    [
      "a Kubernetes version without its patch",
      (r) => {
        r.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
        r.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
        r.versions.kubernetes = "1.35";
        r.secretsEncryptionKey = Buffer.alloc(32, 1).toString("base64");
      },
      'onprem-k8s:versions.kubernetes: "1.35" is not a Kubernetes release; give the release as `kube-apiserver --version` prints it, such as v1.35.4',
      new Set([...SECRET_KEYS, "secretsEncryptionKey"]),
    ],
    [
      "one node port asked for by two apps",
      (r) =>
        (r.apps = [
          { ...WEB, service: { type: "NodePort", ports: [{ port: 80, nodePort: 31000 }] } },
          { ...WEB, name: "other", service: { type: "NodePort", ports: [{ port: 80, nodePort: 31000 }] } },
        ]),
      "onprem-k8s:apps[1].service.ports[0].nodePort: 31000 is already web's node port; give each app its own node port",
    ],
    [
      "an app the WebApp component rejects",
      (r) => (r.apps = [{ name: "Web_App", image: "nginx:1.25", ports: [{ containerPort: 80 }] }]),
      'onprem-k8s:apps[0].name: "Web_App" is not a valid DNS-1123 label (lowercase letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); use e.g. "web-app".',
    ],
    [
      "an app secret that is not a secret config key",
      (r) => (r.apps = [{ name: "web", image: "nginx:1.25", ports: [{ containerPort: 80 }], secretEnv: { DB_PASSWORD: "dbPassword" } }]),
      'onprem-k8s:apps[0].secretEnv.DB_PASSWORD: "dbPassword" is not a secret config key; set the value with `pulumi config set --secret dbPassword` and give that key\'s name here',
    ],
    [
      "a ReadWriteOnce claim mounted by an app that scales out (go2cloud-platform in prod had this)",
      (r) =>
        (r.apps = [
          {
            ...WEB,
            name: "go2cloud-platform",
            resources: { requests: { cpu: "250m" } },
            rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
            autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 75 },
            persistentVolume: { claimName: "go2cloud-api-pvc", storageClassName: "ceph-rdb", size: "8Gi", mountPath: "/data/shared" },
          },
        ]),
      'onprem-k8s:apps[0].persistentVolume: go2cloud-platform can run more than one pod (autoscaling.maxReplicas is 6; a rolling update starts the new pod beside the old one), but its ReadWriteOnce claim go2cloud-api-pvc attaches to one node at a time, and a pod on another node fails with a Multi-Attach error; use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").',
    ],
    [
      "a ReadWriteOnce claim under the default rolling update, which surges a second pod",
      (r) => (r.apps = [{ ...WEB, persistentVolume: { storageClassName: "ceph-rdb", size: "1Gi", mountPath: "/data" } }]),
      'onprem-k8s:apps[0].persistentVolume: web can run more than one pod (a rolling update starts the new pod beside the old one), but its ReadWriteOnce claim web-data attaches to one node at a time, and a pod on another node fails with a Multi-Attach error; use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").',
    ],
    [
      "rollingUpdate with the Recreate strategy",
      (r) => (r.apps = [{ ...WEB, strategy: "Recreate", rollingUpdate: { maxSurge: 1 } }]),
      'onprem-k8s:apps[0].rollingUpdate: set, but strategy is "Recreate"; drop rollingUpdate or use strategy "RollingUpdate".',
    ],
    ["a misspelt strategy", (r) => (r.apps = [{ ...WEB, strategy: "recreate" }]), 'onprem-k8s:apps[0].strategy: "recreate" is not allowed; use one of RollingUpdate, Recreate'],
    [
      "a secret file's ${NAME} without a value",
      (r) =>
        (r.apps = [
          {
            ...WEB,
            secretFiles: {
              files: { "config.yaml": "DB_PASSWORD: ${DB_PASSWORD}\n" },
              values: {},
              mounts: [{ style: "items", mountPath: "/data/config", items: [{ key: "config.yaml", path: "config.yaml" }] }],
            },
          },
        ]),
      "onprem-k8s:apps[0].secretFiles.files.config.yaml: ${DB_PASSWORD} is not a name of secretFiles.values; add DB_PASSWORD: <secret config key> to secretFiles.values",
    ],
    [
      "a secret file value that no file holds",
      (r) => (r.apps = [{ ...WEB, secretFiles: { files: { "a.conf": "x" }, values: { TOKEN: "sshPrivateKey" }, mounts: [{ style: "subPath", key: "a.conf", mountPath: "/etc/a.conf" }] } }]),
      "onprem-k8s:apps[0].secretFiles.values.TOKEN: no file holds ${TOKEN}; put ${TOKEN} where the value goes, or drop TOKEN",
    ],
    [
      "a secret file value that is not a secret config key",
      (r) => (r.apps = [{ ...WEB, secretFiles: { files: { "a.conf": "${TOKEN}" }, values: { TOKEN: "apiToken" }, mounts: [{ style: "subPath", key: "a.conf", mountPath: "/etc/a.conf" }] } }]),
      'onprem-k8s:apps[0].secretFiles.values.TOKEN: "apiToken" is not a secret config key; set the value with `pulumi config set --secret apiToken` and give that key\'s name here',
    ],
    [
      "a secret file value named as a secretEnv variable",
      (r) =>
        (r.apps = [
          {
            ...WEB,
            secretEnv: { TOKEN: "sshPrivateKey" },
            secretFiles: { files: { "a.conf": "${TOKEN}" }, values: { TOKEN: "sshPrivateKey" }, mounts: [{ style: "subPath", key: "a.conf", mountPath: "/etc/a.conf" }] },
          },
        ]),
      "onprem-k8s:apps[0].secretFiles.values.TOKEN: is also a secretEnv variable; give the file's value and the variable different names",
    ],
    [
      "a secret file mount of a missing file",
      (r) => (r.apps = [{ ...WEB, secretFiles: { files: { "a.conf": "x" }, values: {}, mounts: [{ style: "subPath", key: "b.conf", mountPath: "/etc/b.conf" }] } }]),
      'onprem-k8s:apps[0].secretFiles.mounts[0].key: "b.conf" is not a key of secretFiles.files; add the file or fix the key.',
    ],
    [
      "an artifact with both path and url",
      (r) => (r.artifacts.etcd.path = "/srv/etcd.tar.gz"),
      "onprem-k8s:artifacts.etcd: needs exactly one of path or url; give path (uploaded from this machine) for air-gapped sites, or url (downloaded by each host) for a mirror",
    ],
    ["an artifact without a sha256", (r) => (r.artifacts.etcd.sha256 = "abc"), "onprem-k8s:artifacts.etcd.sha256: is not a sha256 digest; give the 64 lower-case hex digits printed by sha256sum"],
  ];

  test("an empty secretsEncryptionOldKey, Pulumi.yaml's default, is no rotation and no problem", () => {
    const raw = validRawConfig();
    raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
    raw.versions.kubernetes = "v1.34.4";
    raw.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
    raw.secretsEncryptionKey = Buffer.alloc(32, 1).toString("base64");
    raw.secretsEncryptionOldKey = "";
    expect(validateClusterConfig(raw, new Set([...SECRET_KEYS, "secretsEncryptionKey", "secretsEncryptionOldKey"]), NS, ADDONS).problems).toEqual([]);
  });

  test.each(cases)("rejects %s", (_name, mutate, expected, secretKeys = SECRET_KEYS) => {
    expect(problemsOf(mutate, secretKeys)).toContain(expected);
  });

  test("a probe written the Kubernetes way (httpGet, tcpSocket) is accepted as the spec's own", () => {
    const raw = validRawConfig();
    raw.apps = [{ ...WEB, livenessProbe: { httpGet: { path: "/healthz", port: 80 }, periodSeconds: 5 }, readinessProbe: { tcpSocket: { port: 80 } } }];
    const { spec, problems } = validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS);
    expect(problems).toEqual([]);
    expect([spec.apps[0].spec.livenessProbe, spec.apps[0].spec.readinessProbe]).toEqual([{ http: { path: "/healthz", port: 80 }, periodSeconds: 5 }, { tcp: { port: 80 } }]);
  });

  test("a ReadWriteOnce claim is accepted where one pod at most uses it: Recreate with one replica, no surge, or not mounted", () => {
    const claim = { storageClassName: "ceph-rdb", size: "1Gi", mountPath: "/data" };
    for (const app of [
      { ...WEB, strategy: "Recreate", persistentVolume: claim },
      { ...WEB, rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, persistentVolume: claim },
      { ...WEB, replicas: 3, persistentVolume: { ...claim, accessMode: "ReadWriteMany" } },
      { ...WEB, replicas: 3, persistentVolume: { storageClassName: "ceph-rdb", size: "1Gi" } },
    ]) {
      expect(problemsOf((r) => (r.apps = [app]))).toEqual([]);
    }
  });

  test("a secret file's values are the app's secret file keys; its spec keeps the text with its ${NAME}s", () => {
    const raw = validRawConfig();
    raw.apps = [{ ...WEB, secretFiles: { files: { "a.conf": "key = ${KEY}\n" }, values: { KEY: "sshPrivateKey" }, mounts: [{ style: "subPath", key: "a.conf", mountPath: "/etc/a.conf" }] } }];
    const { spec, problems } = validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS);
    expect(problems).toEqual([]);
    expect([spec.apps[0].secretFileKeys, spec.apps[0].secretEnvKeys]).toEqual([{ KEY: "sshPrivateKey" }, {}]);
    expect(spec.apps[0].spec.secretFiles).toEqual({ files: { "a.conf": "key = ${KEY}\n" }, mounts: [{ style: "subPath", key: "a.conf", mountPath: "/etc/a.conf" }] });
  });

  test("reports every problem at once, one line each", () => {
    const problems = problemsOf((r) => {
      r.hosts[3].name = "m1";
      r.network.clusterDnsIp = "1.2.3.4";
      r.loadBalancers[0].vip = "10.0.0.11";
    });
    expect(problems).toHaveLength(3);
    problems.forEach((p) => expect(p).not.toContain("\n"));
  });

  test("taint keys are not mistaken for secrets", () => {
    expect(problemsOf(() => undefined)).toEqual([]);
  });
});
