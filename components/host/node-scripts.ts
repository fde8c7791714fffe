/**
 * Renders a real worker or edge node's files (containerd's config, kubelet and kube-proxy configs, kubeconfigs and
 * units, the flannel CNI config) and the scripts that apply them on a host and remove them. Pure functions of their inputs.
 */
import { SiteRegistry } from "../../spec/cluster";
import { PAUSE_IMAGE } from "../../spec/images";
import { APPLY_DAEMON_FUNCTION, FileSpec, READ_SECRETS, aptInstall, heredoc, putFiles, releaseComment, script, secretFile } from "./bash";
import { renderDaemonUnit, renderKubeconfig } from "./control-plane-scripts";
import { releaseBinary } from "./artifact-script";
import { minorOf } from "./kubernetes-version";

/** The first kubelet minor whose failCgroupV1 defaults to true. */
const FIRST_MINOR_FAILING_CGROUP_V1 = 35;

/** Kept out of /etc/kubernetes: a host that is also a master must not lose its node files with its master files. */
export const KUBELET_DIR = "/var/lib/kubelet";
export const KUBELET_PKI = `${KUBELET_DIR}/pki`;
const KUBELET_CONFIG = `${KUBELET_DIR}/config.yaml`;
const KUBELET_KUBECONFIG = `${KUBELET_DIR}/kubeconfig`;
export const KUBE_PROXY_DIR = "/var/lib/kube-proxy";
const KUBE_PROXY_CONFIG = `${KUBE_PROXY_DIR}/config.yaml`;
const KUBE_PROXY_KUBECONFIG = `${KUBE_PROXY_DIR}/kubeconfig`;
export const CNI_CONFLIST = "/etc/cni/net.d/10-flannel.conflist";
export const CNI_BIN_DIR = "/opt/cni/bin";
const CONTAINERD_CONFIG = "/etc/containerd/config.toml";
/** containerd's per-registry host configs; it reads them at each pull, so a change needs no restart. */
export const CERTS_D = "/etc/containerd/certs.d";
/** The registry directories under CERTS_D that onprem-k8s wrote, one a line: the others are not its to remove. */
const REGISTRIES_LIST = `${CERTS_D}/.onprem-k8s-registries`;
/** The files onprem-k8s writes in a site registry's directory. */
const REGISTRY_FILES = ["hosts.toml", "ca.crt"];

/**
 * Keeps the registry directories under CERTS_D that onprem-k8s wrote in step with `keep`: each one that `list` names
 * and `keep` does not loses `files` (with put_file's backups) and then, once empty, itself; `list` then names `keep`,
 * or goes when `keep` is empty. The site's registries and the registry mirrors each have their list, so neither
 * removes the other's.
 */
export function renderCertsDirs(list: string, keep: readonly string[], files: readonly string[]): string {
  const remove = `rm -f ${files.flatMap((f) => [`"${CERTS_D}/$registry/${f}"`, `"${CERTS_D}/$registry/${f}.bak"`]).join(" ")}
rmdir --ignore-fail-on-non-empty "${CERTS_D}/$registry"`;
  const indent = (text: string, spaces: number) => text.replace(/^/gm, " ".repeat(spaces));
  if (keep.length === 0) {
    return `if [[ -f ${list} ]]; then
  while read -r registry; do
${indent(remove, 4)}
  done <${list}
  rm -f ${list}
fi`;
  }
  return `if [[ -f ${list} ]]; then
  while read -r registry; do
    if [[ " ${keep.join(" ")} " != *" $registry "* ]]; then
${indent(remove, 6)}
    fi
  done <${list}
fi
printf '%s\\n' ${keep.join(" ")} >${list}`;
}

export const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
const MODULES_FILE = "/etc/modules-load.d/onprem-k8s-node.conf";
const SYSCTL_FILE = "/etc/sysctl.d/90-onprem-k8s-node.conf";
const UNIT_DIR = "/etc/systemd/system";
/** The kubelet's health endpoint, on loopback only. */
export const KUBELET_HEALTHZ_PORT = 10248;
/** The node daemons onprem-k8s runs, in the order they start. */
export const NODE_UNITS = ["kubelet", "kube-proxy"] as const;
/** The CNI plugins the flannel plugin delegates to (bridge, host-local) and that containerd and hostPort need. */
export const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;
/** What the `containerd` artifact must hold. */
export const CONTAINERD_BINARIES = ["containerd", "containerd-shim-runc-v2", "ctr", "runc"] as const;
/** Debian's packages of a node: the runtime, the CNI plugins (in DEBIAN_CNI_DIR) and what kube-proxy runs. */
export const NODE_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "iptables", "conntrack"] as const;
const DEBIAN_CNI_DIR = "/usr/lib/cni";

/**
 * Where containerd comes from: the `containerd` release, run by a unit of onprem-k8s's, with the CNI plugins from
 * theirs; or Debian's packages (containerd, runc, the CNI plugins) through apt, from `aptSource` alone when given.
 */
export type ContainerdSource = { readonly kind: "release" } | { readonly kind: "packages"; readonly aptSource?: string };

export interface NodeHost {
  /** The host name: the Node's name and the CN of its kubelet's certificates. */
  readonly name: string;
  readonly address: string;
  /** The taints the Node registers with. @default none */
  readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
}

/** Settings every node shares. */
export interface NodeSettings {
  readonly clusterName: string;
  /** `https://HOST:6443` of the API: the VIP. */
  readonly server: string;
  /** The pod network; kube-proxy tells pod traffic from outside traffic by it. */
  readonly podCidr: string;
  /** The CoreDNS ClusterIP pods resolve through. */
  readonly clusterDnsIp: string;
  readonly clusterDomain: string;
  readonly containerd: ContainerdSource;
  /** sha256 of the kubernetes-node release: in the units, so a new release restarts the daemons node by node. */
  readonly releaseSha256: string;
  /** The site's registries that containerd reaches over HTTP or with a private CA. */
  readonly registries: readonly SiteRegistry[];
  /** kube-proxy's conntrack.maxPerCore; 0 leaves the host's table size alone. @default kube-proxy's own */
  readonly kubeProxyConntrackMaxPerCore?: number;
  /** The kubelet's evictionHard thresholds by signal; they replace its defaults. @default the kubelet's own */
  readonly kubeletEvictionHard?: Readonly<Record<string, string>>;
  /** KubeletConfiguration's failCgroupV1. @default the kubelet's own */
  readonly kubeletFailCgroupV1?: boolean;
  /** The kubelet's release (versions.kubernetes), such as v1.35.4. */
  readonly version: string;
}

/** The certificates (PEM) a node's script carries; the keys come as secret files (NODE_SECRETS). */
export interface NodeCerts {
  /** The cluster CA: it signs the apiserver's certificate and every client the kubelet accepts. */
  readonly caCert: string;
  /** CN system:node:NAME, O system:nodes. */
  readonly kubeletClientCert: string;
  /** The kubelet's serving certificate (SANs: name and address). */
  readonly kubeletServingCert: string;
  /** CN system:kube-proxy. */
  readonly kubeProxyCert: string;
}

/** The private keys (PEM) of a node: secrets. */
export interface NodeKeys {
  readonly kubeletClientKey: string;
  readonly kubeletServingKey: string;
  readonly kubeProxyKey: string;
}

export interface NodeScriptArgs {
  readonly host: NodeHost;
  readonly settings: NodeSettings;
  readonly pki: NodeCerts;
}

/** The secret files of a node's step, by name: keys, and the kubeconfigs that embed them. */
export const NODE_SECRETS = {
  kubeletClientKey: "kubelet-client.key",
  kubeletServingKey: "kubelet-serving.key",
  kubeletKubeconfig: "kubelet.conf",
  kubeProxyKubeconfig: "kube-proxy.conf",
} as const;

/** The contents of a node's secret files (NODE_SECRETS), by name. */
export function renderNodeSecrets(a: { host: NodeHost; settings: Pick<NodeSettings, "clusterName" | "server">; pki: NodeCerts & NodeKeys }): Record<string, string> {
  const { host, settings: s, pki } = a;
  const kubeconfig = (user: string, clientCert: string, clientKey: string) => renderKubeconfig({ clusterName: s.clusterName, server: s.server, caCert: pki.caCert, user, clientCert, clientKey });
  return {
    [NODE_SECRETS.kubeletClientKey]: pki.kubeletClientKey,
    [NODE_SECRETS.kubeletServingKey]: pki.kubeletServingKey,
    [NODE_SECRETS.kubeletKubeconfig]: kubeconfig(`system:node:${host.name}`, pki.kubeletClientCert, pki.kubeletClientKey),
    [NODE_SECRETS.kubeProxyKubeconfig]: kubeconfig("system:kube-proxy", pki.kubeProxyCert, pki.kubeProxyKey),
  };
}

/**
 * The kubelet's config: only clients of the cluster CA (the apiserver) and webhook-checked tokens get in; certificates
 * come from onprem-k8s, not from rotation or TLS bootstrap, so a change of them is a change of this node's step.
 */
export function renderKubeletConfig(s: Pick<NodeSettings, "clusterDnsIp" | "clusterDomain" | "kubeletEvictionHard" | "kubeletFailCgroupV1">): string {
  const eviction =
    s.kubeletEvictionHard === undefined
      ? ""
      : `evictionHard:\n${Object.entries(s.kubeletEvictionHard)
          .map(([signal, value]) => `  ${signal}: "${value}"\n`)
          .join("")}`;
  return `# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${KUBELET_PKI}/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
  - ${s.clusterDnsIp}
clusterDomain: ${s.clusterDomain}
containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}
${eviction}${s.kubeletFailCgroupV1 === undefined ? "" : `failCgroupV1: ${s.kubeletFailCgroupV1}\n`}failSwapOn: true
healthzBindAddress: 127.0.0.1
healthzPort: ${KUBELET_HEALTHZ_PORT}
readOnlyPort: 0
rotateCertificates: false
serverTLSBootstrap: false
tlsCertFile: ${KUBELET_PKI}/kubelet-serving.crt
tlsPrivateKeyFile: ${KUBELET_PKI}/kubelet-serving.key
tlsMinVersion: VersionTLS12
`;
}

/**
 * No --node-labels: NodeRestriction forbids a kubelet to set node-role labels; they come through the API instead. The
 * taints come with the registration, so no pod lands on a tainted node before the API patch would set them.
 */
export function kubeletFlags(host: NodeHost): [string, string][] {
  const taints = (host.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`);
  return [
    ["config", KUBELET_CONFIG],
    ["kubeconfig", KUBELET_KUBECONFIG],
    ["node-ip", host.address],
    ["hostname-override", host.name],
    ...(taints.length > 0 ? [["register-with-taints", taints.join(",")] as [string, string]] : []),
  ];
}

const releaseLine = (releaseSha256: string) => releaseComment("kubernetes-node", releaseSha256);
/** The name the kubernetes-node release is installed under (artifacts.kubernetesNode). */
export const NODE_RELEASE = "kubernetesNode";
/** The binaries of the kubernetes-node release. */
export const NODE_BINARIES = ["kubelet", "kube-proxy"] as const;
const nodeBinary = (releaseSha256: string, binary: string) => releaseBinary(NODE_RELEASE, releaseSha256, binary);

export function renderKubeletUnit(host: NodeHost, releaseSha256: string): string {
  return releaseLine(releaseSha256) + renderDaemonUnit("Kubernetes node agent", nodeBinary(releaseSha256, "kubelet"), kubeletFlags(host), "network-online.target containerd.service");
}

/** kube-proxy's /metrics (plain HTTP, no authentication: kube-proxy has none), on the node's own address. */
export const KUBE_PROXY_METRICS_PORT = 10249;

/**
 * kube-proxy in iptables mode; hostnameOverride finds its Node (and so its address) under the kubelet's name. Its
 * metrics listen on the node's address, not kube-proxy's default 127.0.0.1, so a scraper in the pod network reaches them.
 */
export function renderKubeProxyConfig(host: NodeHost, s: Pick<NodeSettings, "podCidr" | "kubeProxyConntrackMaxPerCore">): string {
  const conntrack = s.kubeProxyConntrackMaxPerCore === undefined ? "" : `conntrack:\n  maxPerCore: ${s.kubeProxyConntrackMaxPerCore}\n`;
  return `# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${KUBE_PROXY_KUBECONFIG}
clusterCIDR: ${s.podCidr}
${conntrack}hostnameOverride: ${host.name}
metricsBindAddress: ${host.address}:${KUBE_PROXY_METRICS_PORT}
mode: iptables
`;
}

export function renderKubeProxyUnit(releaseSha256: string): string {
  return releaseLine(releaseSha256) + renderDaemonUnit("Kubernetes network proxy", nodeBinary(releaseSha256, "kube-proxy"), [["config", KUBE_PROXY_CONFIG]], "network-online.target kubelet.service");
}

/**
 * Flannel's CNI conflist, upstream's cni-conf.json: the flannel plugin (bridge delegate) chained with portmap for
 * hostPort. Nodes get it from their step, so the runtime has a pod network config from the start, and flannel's
 * DaemonSet copies the same text in, so that copy changes nothing.
 */
export const FLANNEL_CNI_CONF = `${JSON.stringify(
  {
    name: "cbr0",
    cniVersion: "0.3.1",
    plugins: [
      { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  },
  null,
  2,
)}\n`;

/**
 * How containerd reaches one of the site's registries (its hosts.toml): over plain HTTP, or over HTTPS trusting the
 * site's CA. Image names stay as they are.
 */
export function renderRegistryHosts(r: SiteRegistry): string {
  const server = `${r.http ? "http" : "https"}://${r.host}`;
  return `# Rendered by onprem-k8s; changes here are overwritten.
server = "${server}"

[host."${server}"]
  capabilities = ["pull", "resolve"]
${r.caCert === undefined ? "" : `  ca = "${CERTS_D}/${r.host}/ca.crt"\n`}`;
}

/** containerd's CRI with runc under the systemd cgroup driver, as the kubelet's cgroupDriver expects. */
export function renderContainerdConfig(): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
version = 2

# Pulled like every image: through the site registry's mirror when there is one.
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # No container below containerd's own OOM score: a host without CAP_SYS_RESOURCE (a container host) could not set
  # one, and on others containerd's -999 leaves every score the kubelet asks for as it is.
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "${CNI_BIN_DIR}"
  conf_dir = "/etc/cni/net.d"

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "${CERTS_D}"
`;
}

/** Upstream's containerd.service: KillMode=process keeps the containers running when containerd restarts. */
export function renderContainerdUnit(): string {
  return `[Unit]
Description=containerd container runtime (onprem-k8s)
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;
}

/** Pods are bridged and forwarded: kube-proxy's and flannel's rules only see bridged traffic with br_netfilter. */
const MODULES = "overlay\nbr_netfilter\n";
const SYSCTLS = "net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n";

/**
 * Debian's node packages (containerd, runc, the CNI plugins, iptables, conntrack), installed when one is missing,
 * without what they only recommend (criu and python3, nftables), and the CNI plugins linked where containerd looks.
 * Its own step, so that it runs on every node while the control plane comes up; an installed package is never
 * upgraded here, so it restarts nothing.
 */
export function renderNodePackages(host: string, aptSource: string | undefined): string {
  return script(
    `node packages ${host}`,
    `if ! dpkg -s ${NODE_PACKAGES.join(" ")} >/dev/null 2>&1; then
${aptInstall(aptSource, NODE_PACKAGES, false)}
fi
mkdir -p ${CNI_BIN_DIR}
for plugin in ${CNI_PLUGINS.join(" ")}; do
  [[ -L ${CNI_BIN_DIR}/$plugin ]] || ln -sfn ${DEBIAN_CNI_DIR}/$plugin ${CNI_BIN_DIR}/$plugin
done
echo "node packages ${host}: containerd $(dpkg-query -W -f='\${Version}' containerd), runc $(dpkg-query -W -f='\${Version}' runc)"`,
  );
}

/** A kubelet from v1.35 refuses a host with cgroup v1 unless failCgroupV1 is false: the step says so before any file changes. */
function cgroupV1Check(node: string, s: Pick<NodeSettings, "version" | "kubeletFailCgroupV1">): string {
  if (minorOf(s.version) < FIRST_MINOR_FAILING_CGROUP_V1 || s.kubeletFailCgroupV1 === false) return "";
  return `[[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] ||
  fail "${node} runs cgroup v1, which the kubelet ${s.version} refuses: boot it with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set kubernetes.kubeletFailCgroupV1: false"
`;
}

/** The runtime's binaries and the CNI plugins, from Debian's packages (their step) or from the releases. */
function runtimeCheck(source: ContainerdSource): string {
  const fix = source.kind === "release" ? ": give artifacts.cniPlugins" : "";
  return `for binary in ${CONTAINERD_BINARIES.join(" ")} iptables; do
  command -v "$binary" >/dev/null || fail "$binary is not installed"
done
for plugin in ${CNI_PLUGINS.join(" ")}; do
  [[ -x ${CNI_BIN_DIR}/$plugin ]] || fail "the CNI plugin $plugin is not in ${CNI_BIN_DIR}${fix}"
done`;
}

/**
 * Puts a node's files in place, then, daemon by daemon (containerd, kubelet, kube-proxy): a stopped one starts, a
 * running one whose files changed restarts, an unchanged one is left alone. The kubelet must answer /healthz and
 * its Node be Ready with a pod subnet, kube-proxy must stay up; otherwise every replaced file comes back, the changed daemons restart on
 * them and the step fails with one line.
 */
export function renderNode(a: NodeScriptArgs): string {
  const { host, settings: s, pki } = a;
  const containerd: FileSpec[] = [
    [CONTAINERD_CONFIG, "0644", renderContainerdConfig()],
    ...(s.containerd.kind === "release" ? [[`${UNIT_DIR}/containerd.service`, "0644", renderContainerdUnit()] as FileSpec] : []),
  ];
  const kubelet: FileSpec[] = [
    [`${KUBELET_PKI}/ca.crt`, "0644", pki.caCert],
    [`${KUBELET_PKI}/kubelet-serving.crt`, "0644", pki.kubeletServingCert],
    [`${KUBELET_PKI}/kubelet-serving.key`, "0600", secretFile(NODE_SECRETS.kubeletServingKey)],
    // The same client certificate as in the kubeconfig, for this script's own check of the registration.
    [`${KUBELET_PKI}/kubelet-client.crt`, "0644", pki.kubeletClientCert],
    [`${KUBELET_PKI}/kubelet-client.key`, "0600", secretFile(NODE_SECRETS.kubeletClientKey)],
    [KUBELET_KUBECONFIG, "0600", secretFile(NODE_SECRETS.kubeletKubeconfig)],
    [KUBELET_CONFIG, "0644", renderKubeletConfig(s)],
    [`${UNIT_DIR}/kubelet.service`, "0644", renderKubeletUnit(host, s.releaseSha256)],
  ];
  const kubeProxy: FileSpec[] = [
    [KUBE_PROXY_KUBECONFIG, "0600", secretFile(NODE_SECRETS.kubeProxyKubeconfig)],
    [KUBE_PROXY_CONFIG, "0644", renderKubeProxyConfig(host, s)],
    [`${UNIT_DIR}/kube-proxy.service`, "0644", renderKubeProxyUnit(s.releaseSha256)],
  ];
  const registries: FileSpec[] = s.registries.flatMap((r): FileSpec[] => [
    [`${CERTS_D}/${r.host}/hosts.toml`, "0644", renderRegistryHosts(r)],
    ...(r.caCert === undefined ? [] : [[`${CERTS_D}/${r.host}/ca.crt`, "0644", r.caCert] as FileSpec]),
  ]);
  const registryHosts = s.registries.map((r) => r.host);
  const nodeUrl = `${s.server}/api/v1/nodes/${host.name}`;
  return script(
    `node ${host.name}`,
    READ_SECRETS,
    `${runtimeCheck(s.containerd)}
for binary in ${NODE_BINARIES.map((b) => nodeBinary(s.releaseSha256, b)).join(" ")}; do
  [[ -x $binary ]] || fail "$binary is not installed"
done
command -v curl >/dev/null || fail "curl is not installed"
[[ -z $(swapon --noheadings 2>/dev/null) ]] || fail "swap is on and the kubelet refuses to run with it: turn it off (swapoff -a) and remove it from /etc/fstab"
${cgroupV1Check(host.name, s)}${heredoc(`put_file ${MODULES_FILE} 0644`, MODULES)}
${heredoc(`put_file ${SYSCTL_FILE} 0644`, SYSCTLS)}
# Built into some kernels, and a container host cannot load modules: load one only when it is missing.
grep -qw overlay /proc/filesystems || modprobe overlay || fail "cannot load the overlay kernel module"
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter || fail "cannot load the br_netfilter kernel module"
sysctl -q -p ${SYSCTL_FILE} || fail "cannot set the sysctls in ${SYSCTL_FILE}"
# containerd reads the CNI config directory as it changes: no restart.
${heredoc(`put_file ${CNI_CONFLIST} 0644`, FLANNEL_CNI_CONF)}
CHANGED=0
${putFiles(containerd)}
containerd_changed=$CHANGED
CHANGED=0
${registriesSection(registries, registryHosts)}
${putFiles(kubelet)}
kubelet_changed=$CHANGED
CHANGED=0
${putFiles(kubeProxy)}
kube_proxy_changed=$CHANGED
systemctl daemon-reload
systemctl enable --quiet containerd ${NODE_UNITS.join(" ")}
${APPLY_DAEMON_FUNCTION}# revert UNIT CHANGED: after the files came back, a changed daemon runs on them again, or stops if it had none.
revert() {
  [[ $2 == 1 ]] || return 0
  if [[ -f ${UNIT_DIR}/$1.service ]]; then systemctl restart "$1" || true; else systemctl stop "$1" || true; fi
}
journal() { journalctl -u "$1" -n 3 --no-pager -o cat 2>/dev/null | tr '\\n' ' '; }
# give_up WHAT: the new files did not work; the previous ones come back and the daemons run on them again.
give_up() {
  restore_files
  systemctl daemon-reload
  revert containerd "$containerd_changed"
  revert kubelet "$kubelet_changed"
  revert kube-proxy "$kube_proxy_changed"
  fail "$1; the previous files are restored"
}
containerd=$(apply containerd "$containerd_changed")
containerd_up() { ctr --address ${CONTAINERD_SOCKET} version >/dev/null 2>&1; }
retry 30 2 containerd_up || give_up "containerd does not answer on ${CONTAINERD_SOCKET} after it $containerd: $(journal containerd)"
kubelet=$(apply kubelet "$kubelet_changed")
kubelet_healthy() { curl -fsS --max-time 5 http://127.0.0.1:${KUBELET_HEALTHZ_PORT}/healthz >/dev/null 2>&1; }
retry 60 2 kubelet_healthy || give_up "the kubelet is not healthy on 127.0.0.1:${KUBELET_HEALTHZ_PORT} after it $kubelet: $(journal kubelet)"
# The Node must exist, Ready and with its pod subnet, before its labels and taints are set through the API and the next
# batch starts; the node authorizer lets the kubelet read its own Node (JSON that curl gets pretty-printed: no blanks).
node_ready() {
  local node
  node=$(curl -fsS --max-time 5 --cacert ${KUBELET_PKI}/ca.crt --cert ${KUBELET_PKI}/kubelet-client.crt --key ${KUBELET_PKI}/kubelet-client.key ${nodeUrl} 2>/dev/null | tr -d ' \\n') &&
    [[ $node == *'"podCIDR":"'* && $node == *'"type":"Ready","status":"True"'* ]]
}
retry 60 2 node_ready || give_up "node ${host.name} is not Ready with a pod subnet at ${s.server}: $(journal kubelet)"
restarts=$(systemctl show -p NRestarts --value kube-proxy)
kube_proxy=$(apply kube-proxy "$kube_proxy_changed")
if [[ $kube_proxy != unchanged ]]; then
  sleep 5
  if ! systemctl is-active --quiet kube-proxy || [[ $(systemctl show -p NRestarts --value kube-proxy) != "$restarts" ]]; then
    give_up "kube-proxy does not stay up after it $kube_proxy: $(journal kube-proxy)"
  fi
fi
echo "node ${host.name}: containerd $containerd, kubelet $kubelet, kube-proxy $kube_proxy; Ready"`,
  );
}

/** The site's registries: their hosts.toml (and CA) in place, and the directories of registries no longer configured removed. */
function registriesSection(files: readonly FileSpec[], hosts: readonly string[]): string {
  return `# Registries are read at each pull: their files restart no daemon. A registry no longer configured loses its files.
${files.length > 0 ? `${putFiles(files)}\n` : ""}${renderCertsDirs(REGISTRIES_LIST, hosts, REGISTRY_FILES)}
CHANGED=0`;
}

/**
 * Stops the node's daemons and removes every file its step wrote (the binaries belong to their artifact steps, and
 * Debian's packages stay). The pod directories under ${KUBELET_DIR} stay: they may hold mounted volumes, which a
 * recursive delete would empty.
 */
export function renderNodeRemove(host: string, containerd: ContainerdSource): string {
  const files = [
    ...NODE_UNITS.map((u) => `${UNIT_DIR}/${u}.service`),
    ...["ca.crt", "kubelet-serving.crt", "kubelet-serving.key", "kubelet-client.crt", "kubelet-client.key"].map((f) => `${KUBELET_PKI}/${f}`),
    KUBELET_CONFIG,
    KUBELET_KUBECONFIG,
    KUBE_PROXY_CONFIG,
    KUBE_PROXY_KUBECONFIG,
    CNI_CONFLIST,
    MODULES_FILE,
    SYSCTL_FILE,
    CONTAINERD_CONFIG,
    ...(containerd.kind === "release" ? [`${UNIT_DIR}/containerd.service`] : []),
  ];
  return script(
    `remove node ${host}`,
    `systemctl disable --now ${NODE_UNITS.join(" ")} 2>/dev/null || true
# kube-proxy's iptables rules go with it.
if command -v kube-proxy >/dev/null; then kube-proxy --cleanup >/dev/null 2>&1 || true; fi
systemctl disable --now containerd 2>/dev/null || true
${containerd.kind === "packages" ? `rm -f ${CNI_PLUGINS.map((p) => `${CNI_BIN_DIR}/${p}`).join(" ")}\n` : ""}${renderCertsDirs(REGISTRIES_LIST, [], REGISTRY_FILES)}
# With put_file's backups: old keys must not stay behind.
rm -f ${files.flatMap((f) => [f, `${f}.bak`]).join(" ")}
rmdir --ignore-fail-on-non-empty ${KUBELET_PKI} ${KUBE_PROXY_DIR} 2>/dev/null || true
systemctl daemon-reload
echo "node ${host} removed"`,
  );
}
