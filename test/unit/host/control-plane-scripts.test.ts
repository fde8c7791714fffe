// The control plane's and kwok's host scripts as text: a golden file each, shellcheck over all of them, and the
// properties the rolling chain relies on.
import {
  CONTROLLER_MANAGER_PORT,
  ControlPlaneSettings,
  MASTER_SECRETS,
  MasterPki,
  SCHEDULER_PORT,
  apiServerFlags,
  controllerManagerFlags,
  renderControlPlaneMaster,
  renderControlPlaneMasterSecrets,
  renderControlPlaneReady,
  renderControlPlaneRemove,
  renderDaemonUnit,
  renderKubeconfig,
  schedulerFlags,
  systemdArg,
} from "../../../components/host/control-plane-scripts";
import { encryptionKeyName, renderEncryptionConfig, renderEncryptionPrepare, renderSecretsRewrite } from "../../../components/host/encryption-scripts";
import { renderKwok, renderKwokRemove } from "../../../components/host/kwok-scripts";
import { renderHaproxyConfig } from "../../../components/host/load-balancer-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const masters = [
  { name: "lab1", address: "172.31.250.11" },
  { name: "lab2", address: "172.31.250.12" },
  { name: "lab3", address: "172.31.250.13" },
];
const pem = (what: string) => `-----BEGIN ${what}-----\nMIIBfake${what.replace(/ /g, "")}\n-----END ${what}-----\n`;
const cert = pem("CERTIFICATE");
const key = pem("EC PRIVATE KEY");
const pki: MasterPki = {
  caCert: cert,
  caSignerCert: cert,
  caKey: key,
  apiServerCert: cert,
  apiServerKey: key,
  etcdCaCert: cert,
  etcdClientCert: cert,
  etcdClientKey: key,
  kubeletClientCert: cert,
  kubeletClientKey: key,
  frontProxyCaCert: cert,
  frontProxyClientCert: cert,
  frontProxyClientKey: key,
  serviceAccountKey: pem("RSA PRIVATE KEY"),
  serviceAccountPublicKey: pem("PUBLIC KEY"),
  controllerManagerCert: cert,
  controllerManagerKey: key,
  schedulerCert: cert,
  schedulerKey: key,
  adminCert: cert,
  adminKey: key,
};
const settings: ControlPlaneSettings = {
  clusterName: "lab",
  etcdEndpoints: masters.map((m) => `https://${m.address}:2379`),
  serviceCidr: "10.96.0.0/16",
  podCidr: "10.244.0.0/16",
  nodeSubnetLength: 24,
  nodePortRange: { min: 30000, max: 32767 },
  clusterDomain: "cluster.local",
  apiServerExtraArgs: {},
  controllerManagerExtraArgs: {},
  schedulerExtraArgs: {},
  releaseSha256: "a".repeat(64),
  version: "v1.35.4",
  masterAddresses: masters.map((m) => m.address),
};
// 32 bytes of 0x01, base64: a stand-in, never a real key.
const encryptionKey = Buffer.alloc(32, 1).toString("base64");
const oldEncryptionKey = Buffer.alloc(32, 2).toString("base64");
const master = (s: ControlPlaneSettings = settings, m = masters[0]) => renderControlPlaneMaster({ master: m, settings: s, pki, encryptionKeyNames: [encryptionKeyName(encryptionKey)] });
const masterSecrets = (m = masters[0]) => renderControlPlaneMasterSecrets({ master: m, clusterName: "lab", pki, encryptionKeys: [encryptionKey] });
const kubectlOn = (address: string) => `kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://${address}:6443 --request-timeout=5s`;

const scripts: Record<string, string> = {
  "control-plane-master.sh": master(),
  "encryption-prepare.sh": renderEncryptionPrepare({
    master: "lab1",
    kubectl: kubectlOn("172.31.250.11"),
    oldKeyName: encryptionKeyName(oldEncryptionKey),
    newKeyName: encryptionKeyName(encryptionKey),
  }),
  "encryption-rewrite.sh": renderSecretsRewrite({ kubectl: kubectlOn("172.31.250.101"), newKeyName: encryptionKeyName(encryptionKey) }),
  "control-plane-ready.sh": renderControlPlaneReady({ server: "https://172.31.250.101:6443", masters }),
  "control-plane-remove.sh": renderControlPlaneRemove("lab1"),
  "control-plane-kwok.sh": renderKwok({ host: masters[0], releaseSha256: "e".repeat(64), podCidr: "10.244.0.0/16" }),
  "control-plane-kwok-remove.sh": renderKwokRemove("lab1"),
};

// The API load balancer admits an apiserver only once it answers /readyz (it listens before it is ready).
const apiHaproxy = renderHaproxyConfig({ name: "api", vip: "172.31.250.101", ports: [6443], backends: masters, httpsCheckPath: "/readyz", agentPort: 6445 });

describe("control plane host scripts", () => {
  test.each(Object.keys(scripts))("%s matches its golden file", (name) => {
    expectGolden(`host/${name}`, scripts[name]);
  });

  test("the API load balancer checks /readyz over TLS", () => {
    expectGolden("host/control-plane-api-haproxy.cfg", apiHaproxy);
    expect(apiHaproxy).toContain("option httpchk GET /readyz");
    expect(apiHaproxy).not.toContain("tcp-check");
    // A stopping apiserver is drained through its agent before it stops answering.
    expect(apiHaproxy).toContain("server lab1 172.31.250.11:6443 check agent-check agent-port 6445 agent-inter 1s");
    expect(renderHaproxyConfig({ name: "etcd", vip: "172.31.250.100", ports: [2379], backends: masters })).toContain("option tcp-check");
    // The edge VIP asks Traefik's ping port, which answers 503 while Traefik stops but still serves.
    const edge = renderHaproxyConfig({ name: "edge", vip: "172.31.250.102", ports: [80, 443], backends: masters, httpCheck: { port: 8082, path: "/ping" } });
    expect(edge).toContain("    option httpchk GET /ping\n    http-check expect status 200\n    default-server inter 1s fall 2 rise 2 port 8082\n");
    expect(edge).not.toContain("check-ssl");
  });

  test("pass shellcheck", () => {
    expect(shellcheckFailures(scripts)).toEqual([]);
  });

  test("the apiserver binds its own address, serves 6443, talks TLS to every etcd member and encrypts Secrets", () => {
    const flags = Object.fromEntries(apiServerFlags(masters[1], settings));
    expect(flags).toMatchObject({
      "bind-address": "172.31.250.12",
      "advertise-address": "172.31.250.12",
      "secure-port": "6443",
      "etcd-servers": "https://172.31.250.11:2379,https://172.31.250.12:2379,https://172.31.250.13:2379",
      "authorization-mode": "Node,RBAC",
      "service-cluster-ip-range": "10.96.0.0/16",
      "service-node-port-range": "30000-32767",
      "encryption-provider-config": "/etc/kubernetes/encryption-config.yaml",
      "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
    });
    expect(flags["enable-admission-plugins"]).toContain("NodeRestriction");
    expect(Object.keys(flags)).toEqual(
      expect.arrayContaining([
        "etcd-cafile",
        "etcd-certfile",
        "etcd-keyfile",
        "audit-policy-file",
        "audit-log-path",
        "kubelet-client-certificate",
        "proxy-client-cert-file",
        "requestheader-client-ca-file",
        "service-account-signing-key-file",
      ]),
    );
  });

  test("the controller-manager and the scheduler elect a leader; the controller-manager allocates node subnets of the pod network", () => {
    const text = master();
    expect(text).toMatch(/kube-controller-manager \\\n(.*\\\n)*\s+--leader-elect=true/);
    expect(text).toContain("--cluster-cidr=10.244.0.0/16");
    expect(text).toContain("--allocate-node-cidrs=true");
    expect(text).toContain("--node-cidr-mask-size=24");
    expect(text.match(/--leader-elect=true/g)).toHaveLength(2);
  });

  test("the controller-manager and the scheduler serve on the master's address, so a scraper in the pod network reaches /metrics", () => {
    expect([CONTROLLER_MANAGER_PORT, SCHEDULER_PORT]).toEqual([10257, 10259]);
    for (const [flags, port] of [
      [controllerManagerFlags(masters[1], settings), CONTROLLER_MANAGER_PORT],
      [schedulerFlags(masters[1], settings), SCHEDULER_PORT],
    ] as const) {
      const byName = Object.fromEntries(flags);
      expect(byName).toMatchObject({ "bind-address": "172.31.250.12", "secure-port": String(port) });
      // Delegated to the apiserver: a ServiceAccount token with RBAC for /metrics gets in.
      expect(byName["authentication-kubeconfig"]).toBe(byName.kubeconfig);
      expect(byName["authorization-kubeconfig"]).toBe(byName.kubeconfig);
      // Their defaults (/healthz, /readyz, /livez without authorization) stay.
      expect(byName).not.toHaveProperty("authorization-always-allow-paths");
    }
    // The master's gate asks them where they listen.
    const text = master(settings, masters[1]);
    expect(text).toContain('healthz() { curl -fsSk --max-time 5 "https://172.31.250.12:$1/healthz" >/dev/null 2>&1; }');
    expect(text).toContain("retry 60 2 healthz 10257 ");
    expect(text).toContain("retry 60 2 healthz 10259 ");
    expect(text).not.toContain("127.0.0.1");
  });

  test("extra flags override the defaults; only the script of every master changes with them", () => {
    const changed = { ...settings, apiServerExtraArgs: { "event-ttl": "2h", profiling: "true" } };
    expect(master(changed)).not.toBe(master());
    const flags = apiServerFlags(masters[0], changed);
    expect(flags.filter(([name]) => name === "profiling")).toEqual([["profiling", "true"]]);
    expect(master(changed)).toContain("--event-ttl=2h");
    expect(master(settings)).toBe(master(settings));
  });

  test("systemd words: % and $ escaped, blanks quoted", () => {
    expect(systemdArg("--a=b")).toBe("--a=b");
    expect(systemdArg("--x=50%")).toBe("--x=50%%");
    expect(systemdArg("--x=$HOME")).toBe("--x=$$HOME");
    expect(systemdArg('--x=a b"c')).toBe('"--x=a b\\"c"');
    expect(renderDaemonUnit("d", "/opt/bin/d", [["a", "1"]], "network-online.target")).toContain("ExecStart=/opt/bin/d \\\n  --a=1\n");
  });

  test("the apiserver asks to be drained before it stops; its agent says drain only then", () => {
    const text = master();
    expect(text).toContain("ExecStop=/bin/sh -c 'touch /run/kube-apiserver.draining; sleep 3'");
    expect(text).toContain("ExecStartPre=/bin/rm -f /run/kube-apiserver.draining");
    expect(text).toContain("ListenStream=172.31.250.11:6445");
    expect(text).toContain("if [ -e /run/kube-apiserver.draining ]; then echo drain; else echo ready; fi");
    expect(text.match(/ExecStop=/g)).toHaveLength(1);
  });

  test("the encryption config uses secretbox with the key, named by a digest, and still reads unencrypted data", () => {
    const config = renderEncryptionConfig([encryptionKey]);
    expect(config).toContain(`secret: ${encryptionKey}`);
    expect(config).toMatch(/- secretbox:[\s\S]*- identity: \{\}/);
    expect(encryptionKeyName(encryptionKey)).toMatch(/^key-[0-9a-f]{8}$/);
    expect(encryptionKeyName(encryptionKey)).not.toContain(encryptionKey.slice(0, 8));
  });

  test("in a rotation the first key encrypts and the old one after it only decrypts, then identity", () => {
    const config = renderEncryptionConfig([encryptionKey, oldEncryptionKey]);
    const names = [...config.matchAll(/- name: (key-[0-9a-f]{8})\n {14}secret: (\S+)/g)].map((m) => [m[1], m[2]]);
    expect(names).toEqual([
      [encryptionKeyName(encryptionKey), encryptionKey],
      [encryptionKeyName(oldEncryptionKey), oldEncryptionKey],
    ]);
    expect(config.indexOf(oldEncryptionKey)).toBeLessThan(config.indexOf("- identity: {}"));
  });

  test("a master's step refuses a config without the key its apiserver encrypts with, before it replaces any file", () => {
    const text = master();
    const guard = text.indexOf(`keys=" ${encryptionKeyName(encryptionKey)} "\nif [[ -n $in_use && $keys != *" $in_use "* ]]; then`);
    expect(guard).toBeGreaterThan(0);
    expect(guard).toBeLessThan(text.indexOf("put_file "));
    expect(text).toContain("to rotate the key, set secretsEncryptionOldKey to the key in use and secretsEncryptionKey to the new one");
  });

  test("the rotation's prepare step names both keys, never holds one, and accepts either in use", () => {
    const text = scripts["encryption-prepare.sh"];
    expect(text).toContain(`keys=" ${encryptionKeyName(oldEncryptionKey)} ${encryptionKeyName(encryptionKey)} "`);
    for (const k of [encryptionKey, oldEncryptionKey]) expect(text).not.toContain(k);
    expect(text).toContain('put_file /etc/kubernetes/encryption-config.yaml 0600 <"$SECRETS/encryption-config.yaml"');
  });

  test("controller-manager and scheduler kubeconfigs point at their own master; the gate at the VIP", () => {
    const kubeconfigs = Object.values(masterSecrets(masters[2])).join("\n");
    expect(kubeconfigs.match(/server: https:\/\/172\.31\.250\.13:6443/g)).toHaveLength(3);
    expect(scripts["control-plane-ready.sh"]).toContain("--server https://172.31.250.101:6443");
  });

  test("the script carries certificates, never a key: every key and every file that embeds one is a secret file", () => {
    const text = master();
    expect(text).toContain(cert.trim());
    for (const secret of [key, pki.serviceAccountKey, encryptionKey, Buffer.from(key).toString("base64")]) expect(text).not.toContain(secret.trim());
    const secrets = masterSecrets();
    expect(Object.keys(secrets).sort()).toEqual(Object.values(MASTER_SECRETS).sort());
    for (const name of Object.values(MASTER_SECRETS)) expect(text).toContain(`<"$SECRETS/${name}"`);
    expect(secrets[MASTER_SECRETS.encryptionConfig]).toBe(renderEncryptionConfig([encryptionKey]));
    expect(secrets[MASTER_SECRETS.adminKubeconfig]).toBe(renderKubeconfig({ clusterName: "lab", server: "https://172.31.250.11:6443", caCert: cert, user: "admin", clientCert: cert, clientKey: key }));
  });

  test("every failure is one line naming the step", () => {
    expect(master()).toContain("STEP='control plane lab1'");
    expect(master()).toContain('fail "$1; the previous files are restored"');
    expect(scripts["control-plane-kwok.sh"]).toContain("--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake");
  });
});
