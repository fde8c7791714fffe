// A real node's host files and scripts as text: a golden file each, shellcheck over the scripts, and the properties
// the kubelet, kube-proxy and the API rely on.
import {
  KUBE_PROXY_METRICS_PORT,
  NODE_SECRETS,
  NodeCerts,
  NodeSettings,
  kubeletFlags,
  FLANNEL_CNI_CONF,
  renderKubeletConfig,
  renderKubeletUnit,
  renderKubeProxyConfig,
  renderKubeProxyUnit,
  renderNode,
  renderNodePackages,
  renderNodeRemove,
  renderNodeSecrets,
  renderContainerdConfig,
  renderRegistryHosts,
} from "../../../components/host/node-scripts";
import { renderArtifactInstall } from "../../../components/host/artifact-script";
import { flannelManifests } from "../../../components/flannel";
import { renderNodeJoin, renderNodeLeave, renderNodeUpgradeDrain } from "../../../components/host/node-membership-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const host = { name: "lab-w1", address: "172.31.250.21" };
const pem = (what: string) => `-----BEGIN ${what}-----\nMIIBfake${what.replace(/ /g, "")}\n-----END ${what}-----\n`;
const cert = pem("CERTIFICATE");
const key = pem("EC PRIVATE KEY");
const pki: NodeCerts = { caCert: cert, kubeletClientCert: cert, kubeletServingCert: cert, kubeProxyCert: cert };
const settings: NodeSettings = {
  clusterName: "lab",
  server: "https://172.31.250.101:6443",
  podCidr: "10.244.0.0/16",
  clusterDnsIp: "10.96.0.10",
  clusterDomain: "cluster.local",
  containerd: { kind: "packages" },
  releaseSha256: "d".repeat(64),
  version: "v1.35.4",
  registries: [],
};
// Seed 000's registry over HTTP, and one with the site's own CA.
const registries: NodeSettings["registries"] = [
  { host: "10.66.221.138:5500", http: true },
  { host: "harbor.example.com", http: false, caCert: cert },
];
const node = (s: NodeSettings = settings, h = host) => renderNode({ host: h, settings: s, pki });

const membership = {
  node: "lab-w2",
  kubectl: "kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.101:6443 --request-timeout=5s",
  drainTimeoutSeconds: 300,
  version: "v1.35.4",
};
const scripts: Record<string, string> = {
  "node-join.sh": renderNodeJoin(membership),
  "node-upgrade-drain.sh": renderNodeUpgradeDrain(membership),
  "node-leave.sh": renderNodeLeave(membership),
  "node.sh": node(),
  "node-containerd.sh": node({ ...settings, containerd: { kind: "release" } }),
  "node-registries.sh": node({ ...settings, registries }),
  "node-packages.sh": renderNodePackages("lab-w1", undefined),
  "node-packages-apt-source.sh": renderNodePackages("lab-w1", "deb [trusted=yes] http://172.31.250.1:8080/apt ./"),
  "node-containerd-registries.sh": node({ ...settings, containerd: { kind: "release" }, registries }),
  "node-remove.sh": renderNodeRemove("lab-w1", { kind: "packages" }),
  "node-remove-containerd.sh": renderNodeRemove("lab-w1", { kind: "release" }),
  "artifact-cni-plugins.sh": renderArtifactInstall({
    name: "cniPlugins",
    sha256: "c".repeat(64),
    url: "http://172.31.250.1:8080/artifacts/cni-plugins.tgz",
    binaries: ["bridge", "host-local", "loopback", "portmap"],
    binDir: "/opt/cni/bin",
  }),
};
const files: Record<string, string> = {
  "node-kubelet-config.yaml": renderKubeletConfig(settings),
  "node-kubelet.service": renderKubeletUnit(host, settings.releaseSha256),
  "node-kube-proxy-config.yaml": renderKubeProxyConfig(host, settings),
  "node-kube-proxy.service": renderKubeProxyUnit(settings.releaseSha256),
  "node-10-flannel.conflist": FLANNEL_CNI_CONF,
  "node-containerd-config.toml": renderContainerdConfig(),
  "node-registry-http-hosts.toml": renderRegistryHosts(registries[0]),
  "node-registry-ca-hosts.toml": renderRegistryHosts(registries[1]),
};

describe("node host files and scripts", () => {
  test.each([...Object.keys(scripts), ...Object.keys(files)])("%s matches its golden file", (name) => {
    expectGolden(`host/${name}`, scripts[name] ?? files[name]);
  });

  test("a node that leaves is cordoned, drained with the DaemonSets' pods left, then deleted, and a drain that runs out fails", () => {
    const text = scripts["node-leave.sh"];
    const order = ["k cordon lab-w2", "k drain lab-w2 --ignore-daemonsets --delete-emptydir-data --timeout=300s", "k delete node lab-w2"].map((c) => text.indexOf(c));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain('fail "draining lab-w2 did not end within 300 s (it stays cordoned, and the next up tries again)');
  });

  test("pass shellcheck", () => {
    expect(shellcheckFailures(scripts)).toEqual([]);
  });

  test("the kubelet admits only the cluster CA's clients and webhook-checked tokens, and keeps its onprem-k8s certificates", () => {
    const config = files["node-kubelet-config.yaml"];
    expect(config).toContain("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");
    expect(config).toContain("authentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true\n  x509:\n    clientCAFile: /var/lib/kubelet/pki/ca.crt\n");
    expect(config).toContain("authorization:\n  mode: Webhook\n");
    expect(config).toContain("clusterDNS:\n  - 10.96.0.10\nclusterDomain: cluster.local\n");
    expect(config).toContain("cgroupDriver: systemd\n");
    expect(config).toContain("containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n");
    expect(config).toContain("rotateCertificates: false\nserverTLSBootstrap: false\n");
    expect(config).toContain("tlsCertFile: /var/lib/kubelet/pki/kubelet-serving.crt\ntlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet-serving.key\n");
    expect(config).toContain("failSwapOn: true\n");
    expect(config).toContain("readOnlyPort: 0\n");
  });

  test("the kubelet runs under the host's name and address, and never labels itself with node roles", () => {
    expect(Object.fromEntries(kubeletFlags(host))).toEqual({
      config: "/var/lib/kubelet/config.yaml",
      kubeconfig: "/var/lib/kubelet/kubeconfig",
      "node-ip": "172.31.250.21",
      "hostname-override": "lab-w1",
    });
    const unit = files["node-kubelet.service"];
    expect(unit).toContain(`ExecStart=/opt/onprem-k8s/kubernetesNode/${"d".repeat(64)}/bin/kubelet \\\n  --config=/var/lib/kubelet/config.yaml \\\n`);
    expect(unit).toContain("After=network-online.target containerd.service");
    expect(node()).not.toContain("--node-labels");
    expect(node()).not.toContain("node-role.kubernetes.io");
  });

  test("the kubelet's and kube-proxy's kubeconfigs name their users and point at the VIP; they and the keys are secret files", () => {
    const secrets = renderNodeSecrets({ host, settings, pki: { ...pki, kubeletClientKey: key, kubeletServingKey: key, kubeProxyKey: key } });
    expect(Object.keys(secrets).sort()).toEqual(Object.values(NODE_SECRETS).sort());
    for (const name of Object.values(NODE_SECRETS)) expect(node()).toContain(`<"$SECRETS/${name}"`);
    expect(node()).not.toContain(key.trim());
    expect(node()).not.toContain(Buffer.from(key).toString("base64"));
    const text = Object.values(secrets).join("\n");
    expect(text).toContain("- name: system:node:lab-w1\n  user:\n");
    expect(text).toContain("current-context: system:node:lab-w1@lab\n");
    expect(text).toContain("- name: system:kube-proxy\n  user:\n");
    expect(text.match(/server: https:\/\/172\.31\.250\.101:6443/g)).toHaveLength(2);
  });

  test("from v1.35 a host with cgroup v1 is refused before any file changes, unless kubernetes.kubeletFailCgroupV1 is false", () => {
    const refusal = 'fail "lab-w1 runs cgroup v1, which the kubelet v1.35.4 refuses: boot it with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set kubernetes.kubeletFailCgroupV1: false"';
    const script = node();
    expect(script).toContain(refusal);
    expect(script.indexOf(refusal)).toBeLessThan(script.indexOf("\nput_file /"));
    expect(node({ ...settings, kubeletFailCgroupV1: false })).not.toContain("runs cgroup v1");
    expect(node({ ...settings, version: "v1.34.4" })).not.toContain("runs cgroup v1");
    expect(renderKubeletConfig({ ...settings, kubeletFailCgroupV1: false })).toContain("\nfailCgroupV1: false\nfailSwapOn: true\n");
    expect(renderKubeletConfig(settings)).not.toContain("failCgroupV1");
  });

  test("kube-proxy: iptables mode, the pod network as cluster CIDR, its kubeconfig, the node's name, metrics on the node's address", () => {
    expect(files["node-kube-proxy-config.yaml"]).toBe(`# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig
clusterCIDR: 10.244.0.0/16
hostnameOverride: lab-w1
metricsBindAddress: 172.31.250.21:10249
mode: iptables
`);
    expect(KUBE_PROXY_METRICS_PORT).toBe(10249);
    expect(files["node-kube-proxy.service"]).toContain(`ExecStart=/opt/onprem-k8s/kubernetesNode/${"d".repeat(64)}/bin/kube-proxy \\\n  --config=/var/lib/kube-proxy/config.yaml\n`);
  });

  test("the flannel CNI conflist is upstream's cni-conf.json, as flannel's DaemonSet copies it", () => {
    expect(JSON.parse(FLANNEL_CNI_CONF)).toEqual({
      name: "cbr0",
      cniVersion: "0.3.1",
      plugins: [
        { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
    expect(node()).toContain('put_file /etc/cni/net.d/10-flannel.conflist 0644 <<\'ONPREM_K8S_EOF\'\n{\n  "name": "cbr0",');
    // Byte for byte: the DaemonSet's copy then changes nothing on the host.
    const flannelConfig = flannelManifests({ podCidr: "10.244.0.0/16", nodeSubnetLength: 24 }).find((o) => o.kind === "ConfigMap") as any;
    expect(node()).toContain(`put_file /etc/cni/net.d/10-flannel.conflist 0644 <<'ONPREM_K8S_EOF'\n${flannelConfig.data["cni-conf.json"]}ONPREM_K8S_EOF`);
  });

  test("gates on the kubelet's /healthz and its Node Ready with a pod subnet; a failure restores the files and is one line", () => {
    const text = node();
    expect(text).toContain("STEP='node lab-w1'");
    expect(text).toContain("curl -fsS --max-time 5 http://127.0.0.1:10248/healthz");
    expect(text).toContain("https://172.31.250.101:6443/api/v1/nodes/lab-w1");
    expect(text).toMatch(/give_up\(\) \{\n {2}restore_files\n[\s\S]*fail "\$1; the previous files are restored"/);
    expect(text).toContain('give_up "the kubelet is not healthy on 127.0.0.1:10248 after it $kubelet: $(journal kubelet)"');
    // The next batch starts only once this Node is Ready with its pod subnet (the stack's podRoutes read it).
    expect(text).toContain(`[[ $node == *'"podCIDR":"'* && $node == *'"type":"Ready","status":"True"'* ]]`);
    expect(text).toContain('give_up "node lab-w1 is not Ready with a pod subnet at https://172.31.250.101:6443: $(journal kubelet)"');
  });

  test("containerd comes from Debian's packages, in a step of their own (the site's apt source alone when given), or from its release; either way it is configured and started first", () => {
    const packages = scripts["node-packages.sh"];
    expect(packages).toContain("if ! dpkg -s containerd runc containernetworking-plugins iptables conntrack >/dev/null 2>&1; then\napt-get update -qq");
    expect(packages).toContain(
      'install -y -qq --no-install-recommends containerd runc containernetworking-plugins iptables conntrack >/dev/null || fail "cannot install containerd, runc, containernetworking-plugins, iptables and conntrack"',
    );
    expect(packages).toContain("[[ -L /opt/cni/bin/$plugin ]] || ln -sfn /usr/lib/cni/$plugin /opt/cni/bin/$plugin");
    expect(scripts["node-packages-apt-source.sh"]).toContain('apt-get "${only_ours[@]}" update -qq || fail "cannot read the apt source deb [trusted=yes] http://172.31.250.1:8080/apt ./"');
    // Debian's unit runs Debian's containerd: the node's step writes its config only, and installs nothing.
    const fromPackages = node();
    expect(fromPackages).not.toContain("containerd.service 0644");
    expect(fromPackages).not.toContain("apt-get");
    expect(fromPackages).toContain('fail "the CNI plugin $plugin is not in /opt/cni/bin"');
    const release = scripts["node-containerd.sh"];
    expect(release).toContain("put_file /etc/systemd/system/containerd.service 0644");
    expect(release).toContain('fail "the CNI plugin $plugin is not in /opt/cni/bin: give artifacts.cniPlugins"');
    for (const text of [fromPackages, release]) {
      expect(text).toContain("put_file /etc/containerd/config.toml 0644");
      expect(text).toContain("SystemdCgroup = true");
      expect(text).toContain("systemctl enable --quiet containerd kubelet kube-proxy");
      expect(text.indexOf('containerd=$(apply containerd "$containerd_changed")')).toBeLessThan(text.indexOf('kubelet=$(apply kubelet "$kubelet_changed")'));
    }
  });

  test("a new kubernetes-node release changes both units, so the step restarts the kubelet and kube-proxy", () => {
    const next = node({ ...settings, releaseSha256: "e".repeat(64) });
    expect(next).not.toBe(node());
    expect(next.match(new RegExp(`# kubernetes-node release ${"e".repeat(64)}\n\\[Unit\\]`, "g"))).toHaveLength(2);
  });

  test("a tainted node registers with its taints, so no pod lands on it before the API patch", () => {
    const edge = {
      name: "lab-e1",
      address: "172.31.250.31",
      taints: [
        { key: "node-role.kubernetes.io/edge", effect: "NoSchedule" },
        { key: "dedicated", value: "edge", effect: "NoExecute" },
      ],
    };
    expect(node(settings, edge)).toContain("--register-with-taints=node-role.kubernetes.io/edge:NoSchedule,dedicated=edge:NoExecute");
    expect(node()).not.toContain("--register-with-taints");
  });

  test("a node's script depends only on its own inputs", () => {
    expect(node()).toBe(node());
    expect(node(settings, { name: "lab-w2", address: "172.31.250.22" })).not.toBe(node());
    expect(node({ ...settings, clusterDnsIp: "10.96.0.53" })).toContain("  - 10.96.0.53\n");
  });

  test("removal stops the daemons, cleans kube-proxy's rules and leaves the pod directories alone", () => {
    const text = scripts["node-remove.sh"];
    expect(text).toContain("systemctl disable --now kubelet kube-proxy");
    expect(text).toContain("kube-proxy --cleanup");
    expect(text).not.toContain("rm -rf");
    expect(text).toContain(" /var/lib/kubelet/pki/kubelet-client.key /var/lib/kubelet/pki/kubelet-client.key.bak ");
    // Only the registry files onprem-k8s listed go; Debian's packages stay, the links to their CNI plugins go.
    expect(text).toContain('while read -r registry; do\n    rm -f "/etc/containerd/certs.d/$registry/hosts.toml"');
    expect(text).toContain("rm -f /opt/cni/bin/bridge /opt/cni/bin/host-local /opt/cni/bin/loopback /opt/cni/bin/portmap");
    for (const remove of [text, scripts["node-remove-containerd.sh"]]) expect(remove).toContain("systemctl disable --now containerd");
    expect(scripts["node-remove-containerd.sh"]).toContain(" /etc/systemd/system/containerd.service ");
  });

  test("registries: containerd reads certs.d; their files restart no daemon; registries no longer configured lose their files", () => {
    expect(renderContainerdConfig()).toContain('[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"');
    const text = scripts["node-registries.sh"];
    const section = text.slice(text.indexOf("# Registries are read"), text.indexOf("put_file /var/lib/kubelet/pki/ca.crt"));
    expect(section.trimEnd().endsWith("CHANGED=0")).toBe(true);
    expect(section).toContain('if [[ " 10.66.221.138:5500 harbor.example.com " != *" $registry "* ]]; then');
    expect(section).toContain("printf '%s\\n' 10.66.221.138:5500 harbor.example.com >/etc/containerd/certs.d/.onprem-k8s-registries");
    // Without registries, every listed one is removed and the list goes.
    expect(scripts["node.sh"]).toContain("rm -f /etc/containerd/certs.d/.onprem-k8s-registries");
  });

  test("CNI plugins are linked into /opt/cni/bin; other artifacts keep /usr/local/bin", () => {
    expect(scripts["artifact-cni-plugins.sh"]).toContain('mkdir -p /opt/cni/bin\nfor binary in bridge host-local loopback portmap; do\n  ln -sfn "$release/bin/$binary" "/opt/cni/bin/.$binary.new"');
    expect(renderArtifactInstall({ name: "kubernetesNode", sha256: "d".repeat(64), binaries: ["kubelet"] })).toContain('ln -sfn "$release/bin/$binary" "/usr/local/bin/.$binary.new"');
  });
});
