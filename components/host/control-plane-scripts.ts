/**
 * Renders the control plane's files (kubeconfigs, encryption config, audit policy, systemd units) and the scripts that
 * put them on a master, gate on its health and remove it again. Pure functions of their inputs.
 */
import { APPLY_DAEMON_FUNCTION, FileSpec, READ_SECRETS, heredoc, putFiles, releaseComment, script, secretFile, shellQuote } from "./bash";
import { API_SERVER_PORT } from "../../spec/cluster";
import { ENCRYPTION_CONFIG, encryptionKeyGuard, renderEncryptionConfig } from "./encryption-scripts";
import { releaseBinary } from "./artifact-script";
import { MAX_KUBELET_MINORS_BEHIND, minorOf } from "./kubernetes-version";

export const K8S_DIR = "/etc/kubernetes";
export const K8S_PKI = `${K8S_DIR}/pki`;
export const ADMIN_KUBECONFIG = `${K8S_DIR}/admin.conf`;
const CONTROLLER_MANAGER_KUBECONFIG = `${K8S_DIR}/controller-manager.conf`;
const SCHEDULER_KUBECONFIG = `${K8S_DIR}/scheduler.conf`;
const AUDIT_POLICY = `${K8S_DIR}/audit-policy.yaml`;
const AUDIT_LOG = "/var/log/kubernetes/audit.log";
const UNIT_DIR = "/etc/systemd/system";
/** Each master's drain agent, asked by the API load balancers (HAProxy agent-check). */
export const API_SERVER_AGENT_PORT = 6445;
/** While this file exists the drain agent answers `drain`: the apiserver's stop creates it, its start removes it. */
const API_SERVER_DRAIN_FILE = "/run/kube-apiserver.draining";
/** How long a stopping apiserver keeps serving after it asked to be drained: longer than the agent's 1 s interval. */
const API_SERVER_DRAIN_SECONDS = 3;
/** Open watches end after this long when an apiserver stops (their clients reconnect to another master). */
const API_SERVER_STOP_TIMEOUT_SECONDS = 10;
/** The controller-manager's and the scheduler's HTTPS ports (/healthz, and /metrics for a token with RBAC to read it). */
export const CONTROLLER_MANAGER_PORT = 10257;
export const SCHEDULER_PORT = 10259;
/** The daemons of a master, in the order they start. */
export const CONTROL_PLANE_UNITS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

export interface ControlPlaneHost {
  readonly name: string;
  readonly address: string;
}

/** Settings every master shares; a change rolls the masters. */
export interface ControlPlaneSettings {
  readonly clusterName: string;
  /** `https://ADDRESS:2379` of every etcd member. */
  readonly etcdEndpoints: readonly string[];
  readonly serviceCidr: string;
  readonly podCidr: string;
  readonly nodeSubnetLength: number;
  readonly nodePortRange: { readonly min: number; readonly max: number };
  readonly clusterDomain: string;
  /** Extra flags (name without --, value); they override the flags set here. */
  readonly apiServerExtraArgs: Readonly<Record<string, string>>;
  readonly controllerManagerExtraArgs: Readonly<Record<string, string>>;
  readonly schedulerExtraArgs: Readonly<Record<string, string>>;
  /** sha256 of the kubernetes-server release: named in the units, so a new release rolls the masters. */
  readonly releaseSha256: string;
  /** The release's version (versions.kubernetes), such as v1.35.4: what `kube-apiserver --version` prints. */
  readonly version: string;
  /** Every master's address: a master's step compares the release with the versions they run. */
  readonly masterAddresses: readonly string[];
}

/** The name the kubernetes-server release is installed under (artifacts.kubernetes). */
export const SERVER_RELEASE = "kubernetes";
/** The binaries of the kubernetes-server release that masters use. */
export const SERVER_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const;

/** The certificates (PEM) a master's script carries; the keys come as secret files (MASTER_SECRETS). */
export interface MasterCerts {
  /** The Kubernetes CAs trusted (PEM bundle). */
  readonly caCert: string;
  /** The Kubernetes CA whose key (caKey) the controller-manager signs with. */
  readonly caSignerCert: string;
  readonly apiServerCert: string;
  readonly etcdCaCert: string;
  readonly etcdClientCert: string;
  readonly kubeletClientCert: string;
  readonly frontProxyCaCert: string;
  readonly frontProxyClientCert: string;
  readonly serviceAccountPublicKey: string;
  readonly controllerManagerCert: string;
  readonly schedulerCert: string;
  readonly adminCert: string;
}

/** The private keys (PEM) of a master: secrets. */
export interface MasterKeys {
  readonly caKey: string;
  readonly apiServerKey: string;
  readonly etcdClientKey: string;
  readonly kubeletClientKey: string;
  readonly frontProxyClientKey: string;
  readonly serviceAccountKey: string;
  readonly controllerManagerKey: string;
  readonly schedulerKey: string;
  readonly adminKey: string;
}

export type MasterPki = MasterCerts & MasterKeys;

export interface MasterScriptArgs {
  readonly master: ControlPlaneHost;
  readonly settings: ControlPlaneSettings;
  readonly pki: MasterCerts;
  /** The names (encryptionKeyName) of the Secrets-encryption keys, the one that encrypts first. */
  readonly encryptionKeyNames: readonly string[];
}

export interface MasterSecretsArgs {
  readonly master: ControlPlaneHost;
  readonly clusterName: string;
  readonly pki: MasterPki;
  /** base64 of the 32-byte Secrets-encryption keys: the first encrypts, the others (an old key in a rotation) only decrypt. */
  readonly encryptionKeys: readonly string[];
}

/** The secret files of a master's step, by name: keys, and the files that embed a key. */
export const MASTER_SECRETS = {
  caKey: "ca.key",
  serviceAccountKey: "sa.key",
  apiServerKey: "apiserver.key",
  etcdClientKey: "apiserver-etcd-client.key",
  kubeletClientKey: "apiserver-kubelet-client.key",
  frontProxyClientKey: "front-proxy-client.key",
  encryptionConfig: "encryption-config.yaml",
  controllerManagerKubeconfig: "controller-manager.conf",
  schedulerKubeconfig: "scheduler.conf",
  adminKubeconfig: "admin.conf",
} as const;

export interface KubeconfigArgs {
  readonly clusterName: string;
  /** `https://HOST:PORT`. */
  readonly server: string;
  readonly caCert: string;
  /** The user's name in the file; the certificate's CN is what the apiserver sees. */
  readonly user: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A kubeconfig with the CA and the client certificate embedded. */
export function renderKubeconfig(a: KubeconfigArgs): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${a.clusterName}
  cluster:
    server: ${a.server}
    certificate-authority-data: ${b64(a.caCert)}
users:
- name: ${a.user}
  user:
    client-certificate-data: ${b64(a.clientCert)}
    client-key-data: ${b64(a.clientKey)}
contexts:
- name: ${a.user}@${a.clusterName}
  context:
    cluster: ${a.clusterName}
    user: ${a.user}
current-context: ${a.user}@${a.clusterName}
`;
}

/** Metadata of every request, no bodies (Secrets must not land in the log); health probes and node heartbeats are left out. */
export function renderAuditPolicy(): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - RequestReceived
rules:
  - level: None
    nonResourceURLs:
      - /healthz*
      - /livez*
      - /readyz*
      - /version
  - level: None
    users:
      - system:kube-scheduler
      - system:kube-controller-manager
    verbs:
      - get
      - list
      - watch
  - level: None
    resources:
      - group: coordination.k8s.io
        resources:
          - leases
    verbs:
      - get
      - update
  - level: None
    resources:
      - group: ""
        resources:
          - events
  - level: Metadata
`;
}

/** The flags a daemon gets: onprem-k8s's own, then the configured extra ones, which win. */
function flags(base: Record<string, string>, extra: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries({ ...base, ...extra });
}

export function apiServerFlags(master: ControlPlaneHost, s: ControlPlaneSettings): [string, string][] {
  return flags(
    {
      "advertise-address": master.address,
      // Not 0.0.0.0: a load balancer on this host binds the API VIP's port 6443.
      "bind-address": master.address,
      "secure-port": String(API_SERVER_PORT),
      "allow-privileged": "true",
      "authorization-mode": "Node,RBAC",
      "enable-admission-plugins": "NodeRestriction",
      "anonymous-auth": "true",
      "client-ca-file": `${K8S_PKI}/ca.crt`,
      "tls-cert-file": `${K8S_PKI}/apiserver.crt`,
      "tls-private-key-file": `${K8S_PKI}/apiserver.key`,
      "etcd-servers": s.etcdEndpoints.join(","),
      "etcd-cafile": `${K8S_PKI}/etcd-ca.crt`,
      "etcd-certfile": `${K8S_PKI}/apiserver-etcd-client.crt`,
      "etcd-keyfile": `${K8S_PKI}/apiserver-etcd-client.key`,
      "encryption-provider-config": ENCRYPTION_CONFIG,
      "audit-policy-file": AUDIT_POLICY,
      "audit-log-path": AUDIT_LOG,
      "audit-log-maxage": "7",
      "audit-log-maxbackup": "5",
      "audit-log-maxsize": "100",
      "service-cluster-ip-range": s.serviceCidr,
      "service-node-port-range": `${s.nodePortRange.min}-${s.nodePortRange.max}`,
      "service-account-issuer": `https://kubernetes.default.svc.${s.clusterDomain}`,
      "service-account-key-file": `${K8S_PKI}/sa.pub`,
      "service-account-signing-key-file": `${K8S_PKI}/sa.key`,
      "kubelet-client-certificate": `${K8S_PKI}/apiserver-kubelet-client.crt`,
      "kubelet-client-key": `${K8S_PKI}/apiserver-kubelet-client.key`,
      "kubelet-preferred-address-types": "InternalIP,Hostname",
      "requestheader-client-ca-file": `${K8S_PKI}/front-proxy-ca.crt`,
      "requestheader-allowed-names": "front-proxy-client",
      "requestheader-username-headers": "X-Remote-User",
      "requestheader-group-headers": "X-Remote-Group",
      "requestheader-extra-headers-prefix": "X-Remote-Extra-",
      "proxy-client-cert-file": `${K8S_PKI}/front-proxy-client.crt`,
      "proxy-client-key-file": `${K8S_PKI}/front-proxy-client.key`,
      profiling: "false",
    },
    s.apiServerExtraArgs,
  );
}

/**
 * The controller-manager and the scheduler serve on the master's own address, not 127.0.0.1, so that a scraper in the
 * pod network reaches their /metrics; they check its token and its RBAC through the apiserver (the *-kubeconfig flags).
 */
export function controllerManagerFlags(master: ControlPlaneHost, s: ControlPlaneSettings): [string, string][] {
  return flags(
    {
      kubeconfig: CONTROLLER_MANAGER_KUBECONFIG,
      "authentication-kubeconfig": CONTROLLER_MANAGER_KUBECONFIG,
      "authorization-kubeconfig": CONTROLLER_MANAGER_KUBECONFIG,
      "bind-address": master.address,
      "secure-port": String(CONTROLLER_MANAGER_PORT),
      "leader-elect": "true",
      "cluster-name": s.clusterName,
      // ca.crt is the trusted bundle, two CAs during a rotation; the signer is the one CA of ca.key.
      "cluster-signing-cert-file": `${K8S_PKI}/ca-signer.crt`,
      "cluster-signing-key-file": `${K8S_PKI}/ca.key`,
      "root-ca-file": `${K8S_PKI}/ca.crt`,
      "service-account-private-key-file": `${K8S_PKI}/sa.key`,
      "use-service-account-credentials": "true",
      "service-cluster-ip-range": s.serviceCidr,
      "cluster-cidr": s.podCidr,
      "allocate-node-cidrs": "true",
      "node-cidr-mask-size": String(s.nodeSubnetLength),
      "requestheader-client-ca-file": `${K8S_PKI}/front-proxy-ca.crt`,
      profiling: "false",
    },
    s.controllerManagerExtraArgs,
  );
}

export function schedulerFlags(master: ControlPlaneHost, s: ControlPlaneSettings): [string, string][] {
  return flags(
    {
      kubeconfig: SCHEDULER_KUBECONFIG,
      "authentication-kubeconfig": SCHEDULER_KUBECONFIG,
      "authorization-kubeconfig": SCHEDULER_KUBECONFIG,
      "bind-address": master.address,
      "secure-port": String(SCHEDULER_PORT),
      "leader-elect": "true",
      profiling: "false",
    },
    s.schedulerExtraArgs,
  );
}

/** One ExecStart word: systemd expands `%` specifiers and `$` variables, and splits on blanks unless quoted. */
export function systemdArg(value: string): string {
  const escaped = value.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /^[A-Za-z0-9_./:=@+,%$-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * A systemd unit for a daemon. `stopTimeoutSeconds` bounds a stop: kube-apiserver closes its port at once on SIGTERM
 * (new clients go to the other masters), but waits up to its 60 s request timeout for open watches to end.
 */
export function renderDaemonUnit(description: string, executable: string, args: readonly [string, string][], after: string, stopTimeoutSeconds?: number, serviceExtra = ""): string {
  const lines = args.map(([name, value]) => `  ${systemdArg(`--${name}=${value}`)}`);
  return `[Unit]
Description=${description} (onprem-k8s)
After=${after}
Wants=network-online.target

[Service]
ExecStart=${executable} \\
${lines.join(" \\\n")}
Restart=always
RestartSec=5
LimitNOFILE=65536
${stopTimeoutSeconds === undefined ? "" : `TimeoutStopSec=${stopTimeoutSeconds}\n`}${serviceExtra}
[Install]
WantedBy=multi-user.target
`;
}

/**
 * kube-apiserver's stop first asks to be drained and keeps serving a moment: on SIGTERM it fails /readyz and closes
 * its port at once, and a client that the load balancer sent it just then would see an error.
 */
export function renderApiServerDrainHooks(): string {
  return `ExecStartPre=/bin/rm -f ${API_SERVER_DRAIN_FILE}
ExecStop=/bin/sh -c 'touch ${API_SERVER_DRAIN_FILE}; sleep ${API_SERVER_DRAIN_SECONDS}'
`;
}

/**
 * The drain agent: a socket-activated reply per connection, `drain` while the apiserver is stopping, `ready`
 * otherwise. Whether the apiserver is up is the load balancer's own /readyz check; an agent that cannot be reached
 * changes nothing.
 */
export function renderApiServerAgentUnits(address: string): { socket: string; service: string } {
  return {
    socket: `[Unit]
Description=Tells the API load balancers when kube-apiserver is about to stop (onprem-k8s, HAProxy agent-check)

[Socket]
ListenStream=${address}:${API_SERVER_AGENT_PORT}
Accept=yes
FreeBind=yes

[Install]
WantedBy=sockets.target
`,
    service: `[Unit]
Description=kube-apiserver drain state for a load balancer (onprem-k8s)

[Service]
ExecStart=/bin/sh -c 'if [ -e ${API_SERVER_DRAIN_FILE} ]; then echo drain; else echo ready; fi'
StandardInput=socket
StandardOutput=socket
# One instance per check, every second from each load balancer: keep them out of the journal.
LogLevelMax=notice
`,
  };
}

/**
 * A daemon stopped by hand is started again within 30 s: host steps re-run only when their text changes, so the running
 * state is kept by systemd itself. `systemctl mask kube-apiserver` (or another daemon) keeps it down for maintenance.
 */
export function renderControlPlaneEnsureUnits(): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=Start the control plane daemons again if they were stopped (onprem-k8s; mask one to keep it down)

[Service]
Type=oneshot
# Only a daemon that is down: a start job would cancel a stop in progress.
ExecStart=/bin/sh -c 'for u in ${CONTROL_PLANE_UNITS.join(" ")}; do case $$(systemctl is-active $$u) in inactive|failed) systemctl start --no-block $$u ;; esac; done'
`,
    timer: `[Unit]
Description=Keep the control plane daemons running (onprem-k8s)

[Timer]
OnActiveSec=30s
OnUnitActiveSec=30s

[Install]
WantedBy=timers.target
`,
  };
}

/** A master's own apiserver, which its daemons and its step talk to. */
export function masterServer(master: ControlPlaneHost): string {
  return `https://${master.address}:${API_SERVER_PORT}`;
}

/** The contents of a master's secret files (MASTER_SECRETS), by name. */
export function renderControlPlaneMasterSecrets(a: MasterSecretsArgs): Record<string, string> {
  const { pki } = a;
  const kubeconfig = (user: string, clientCert: string, clientKey: string) =>
    renderKubeconfig({ clusterName: a.clusterName, server: masterServer(a.master), caCert: pki.caCert, user, clientCert, clientKey });
  const S = MASTER_SECRETS;
  return {
    [S.caKey]: pki.caKey,
    [S.serviceAccountKey]: pki.serviceAccountKey,
    [S.apiServerKey]: pki.apiServerKey,
    [S.etcdClientKey]: pki.etcdClientKey,
    [S.kubeletClientKey]: pki.kubeletClientKey,
    [S.frontProxyClientKey]: pki.frontProxyClientKey,
    [S.encryptionConfig]: renderEncryptionConfig(a.encryptionKeys),
    [S.controllerManagerKubeconfig]: kubeconfig("system:kube-controller-manager", pki.controllerManagerCert, pki.controllerManagerKey),
    [S.schedulerKubeconfig]: kubeconfig("system:kube-scheduler", pki.schedulerCert, pki.schedulerKey),
    [S.adminKubeconfig]: kubeconfig("admin", pki.adminCert, pki.adminKey),
  };
}

/**
 * Kubernetes' version-skew policy, checked against the running cluster before any file changes: the apiservers move at
 * most one minor per up and never back a minor, and no kubelet may fall more than ${MAX_KUBELET_MINORS_BEHIND} minors behind them.
 * A master that cannot reach an apiserver (the first up) has nothing to compare.
 */
function versionSkewGuard(s: ControlPlaneSettings): string {
  const target = minorOf(s.version);
  return `# Version skew: the running apiservers' and kubelets' versions against ${s.version}.
skew_kubectl() { kubectl --kubeconfig "$SECRETS/${MASTER_SECRETS.adminKubeconfig}" --request-timeout=5s "$@"; }
reachable=
for address in ${s.masterAddresses.join(" ")}; do
  running=$(skew_kubectl --server "https://$address:${API_SERVER_PORT}" get --raw /version 2>/dev/null | sed -n 's/.*"gitVersion": *"\\(v[0-9][^"]*\\)".*/\\1/p') || true
  [[ $running =~ ^v[0-9]+\\.([0-9]+)\\. ]] || continue
  reachable=$address
  minor=\${BASH_REMATCH[1]}
  if ((${target} > minor + 1)); then
    fail "versions.kubernetes ${s.version} skips a minor: the apiserver on $address runs $running; upgrade one minor per up: v1.$((minor + 1)).x first"
  elif ((${target} < minor)); then
    fail "versions.kubernetes ${s.version} is a minor older than the $running that the apiserver on $address runs: Kubernetes does not go back a minor; to undo an upgrade, restore etcd from a snapshot taken before it (etcd.restore)"
  fi
done
if [[ -n $reachable ]] && kubelets=$(skew_kubectl --server "https://$reachable:${API_SERVER_PORT}" get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{"\\n"}{end}' 2>/dev/null); then
  while IFS='=' read -r node kubelet; do
    [[ $kubelet =~ ^v?[0-9]+\\.([0-9]+)\\. ]] || continue
    if ((BASH_REMATCH[1] < ${target} - ${MAX_KUBELET_MINORS_BEHIND})); then
      fail "versions.kubernetes ${s.version} would leave node $node's kubelet $kubelet more than ${MAX_KUBELET_MINORS_BEHIND} minors behind the apiservers: upgrade the nodes first, with a smaller step"
    fi
  done <<<"$kubelets"
fi`;
}

/** kubectl on a master with the admin kubeconfig, against the given server. */
export function kubectl(server: string): string {
  return `kubectl --kubeconfig ${ADMIN_KUBECONFIG} --server ${server} --request-timeout=5s`;
}

/**
 * Puts a master's certificates, kubeconfigs, configs and units in place, then, daemon by daemon:
 * - a stopped daemon starts; a running one whose files changed restarts; an unchanged one is left alone;
 * - the apiserver must answer /readyz, the controller-manager and the scheduler /healthz, or every file the
 *   step replaced comes back, the daemons restart on them, and the step fails.
 * The masters' steps are chained, so a change restarts one master at a time.
 */
export function renderControlPlaneMaster(a: MasterScriptArgs): string {
  const { master, settings: s, pki } = a;
  const ownServer = masterServer(master);
  const S = MASTER_SECRETS;
  const release = releaseComment("kubernetes-server", s.releaseSha256);
  const bin = (binary: string) => releaseBinary(SERVER_RELEASE, s.releaseSha256, binary);
  // Files shared by the apiserver and the controller-manager restart both.
  const shared: FileSpec[] = [
    [`${K8S_PKI}/ca.crt`, "0644", pki.caCert],
    [`${K8S_PKI}/sa.key`, "0600", secretFile(S.serviceAccountKey)],
    [`${K8S_PKI}/front-proxy-ca.crt`, "0644", pki.frontProxyCaCert],
  ];
  const apiServer: FileSpec[] = [
    [`${K8S_PKI}/apiserver.crt`, "0644", pki.apiServerCert],
    [`${K8S_PKI}/apiserver.key`, "0600", secretFile(S.apiServerKey)],
    [`${K8S_PKI}/etcd-ca.crt`, "0644", pki.etcdCaCert],
    [`${K8S_PKI}/apiserver-etcd-client.crt`, "0644", pki.etcdClientCert],
    [`${K8S_PKI}/apiserver-etcd-client.key`, "0600", secretFile(S.etcdClientKey)],
    [`${K8S_PKI}/apiserver-kubelet-client.crt`, "0644", pki.kubeletClientCert],
    [`${K8S_PKI}/apiserver-kubelet-client.key`, "0600", secretFile(S.kubeletClientKey)],
    [`${K8S_PKI}/front-proxy-client.crt`, "0644", pki.frontProxyClientCert],
    [`${K8S_PKI}/front-proxy-client.key`, "0600", secretFile(S.frontProxyClientKey)],
    [`${K8S_PKI}/sa.pub`, "0644", pki.serviceAccountPublicKey],
    [ENCRYPTION_CONFIG, "0600", secretFile(S.encryptionConfig)],
    [AUDIT_POLICY, "0644", renderAuditPolicy()],
    [
      `${UNIT_DIR}/kube-apiserver.service`,
      "0644",
      release + renderDaemonUnit("Kubernetes API server", bin("kube-apiserver"), apiServerFlags(master, s), "network-online.target", API_SERVER_STOP_TIMEOUT_SECONDS, renderApiServerDrainHooks()),
    ],
  ];
  const controllerManager: FileSpec[] = [
    [`${K8S_PKI}/ca-signer.crt`, "0644", pki.caSignerCert],
    [`${K8S_PKI}/ca.key`, "0600", secretFile(S.caKey)],
    [CONTROLLER_MANAGER_KUBECONFIG, "0600", secretFile(S.controllerManagerKubeconfig)],
    [
      `${UNIT_DIR}/kube-controller-manager.service`,
      "0644",
      release + renderDaemonUnit("Kubernetes controller manager", bin("kube-controller-manager"), controllerManagerFlags(master, s), "kube-apiserver.service"),
    ],
  ];
  const scheduler: FileSpec[] = [
    [SCHEDULER_KUBECONFIG, "0600", secretFile(S.schedulerKubeconfig)],
    [`${UNIT_DIR}/kube-scheduler.service`, "0644", release + renderDaemonUnit("Kubernetes scheduler", bin("kube-scheduler"), schedulerFlags(master, s), "kube-apiserver.service")],
  ];
  const agentUnits = renderApiServerAgentUnits(master.address);
  const agent: FileSpec[] = [
    [`${UNIT_DIR}/kube-apiserver-agent.socket`, "0644", agentUnits.socket],
    [`${UNIT_DIR}/kube-apiserver-agent@.service`, "0644", agentUnits.service],
  ];
  return script(
    `control plane ${master.name}`,
    READ_SECRETS,
    `for binary in ${SERVER_BINARIES.map((b) => bin(b)).join(" ")}; do
  [[ -x $binary ]] || fail "$binary is not installed"
done
mkdir -p "$(dirname ${AUDIT_LOG})"
${versionSkewGuard(s)}
${encryptionKeyGuard(a.encryptionKeyNames)}
${putFiles(shared)}
shared_changed=$CHANGED
CHANGED=0
${putFiles(apiServer)}
apiserver_changed=$((CHANGED | shared_changed))
CHANGED=0
${putFiles(controllerManager)}
controller_manager_changed=$((CHANGED | shared_changed))
CHANGED=0
${putFiles(scheduler)}
scheduler_changed=$CHANGED
CHANGED=0
${putFiles(agent)}
agent_changed=$CHANGED
put_file ${ADMIN_KUBECONFIG} 0600 <"$SECRETS/${S.adminKubeconfig}"
${heredoc(`put_file ${UNIT_DIR}/kube-control-plane-ensure.service 0644`, renderControlPlaneEnsureUnits().service)}
${heredoc(`put_file ${UNIT_DIR}/kube-control-plane-ensure.timer 0644`, renderControlPlaneEnsureUnits().timer)}
systemctl daemon-reload
systemctl enable --quiet ${CONTROL_PLANE_UNITS.join(" ")} kube-control-plane-ensure.timer kube-apiserver-agent.socket
systemctl start kube-control-plane-ensure.timer
if [[ $agent_changed == 1 ]]; then systemctl restart kube-apiserver-agent.socket; else systemctl start kube-apiserver-agent.socket; fi
${APPLY_DAEMON_FUNCTION}# give_up WHAT: the new files did not work; the previous ones come back and the daemons run on them again.
give_up() {
  restore_files
  systemctl daemon-reload
  if [[ $apiserver_changed == 1 ]]; then systemctl restart kube-apiserver || true; fi
  if [[ $controller_manager_changed == 1 ]]; then systemctl restart kube-controller-manager || true; fi
  if [[ $scheduler_changed == 1 ]]; then systemctl restart kube-scheduler || true; fi
  fail "$1; the previous files are restored"
}
api_ready() { ${kubectl(ownServer)} get --raw /readyz >/dev/null 2>&1; }
healthz() { curl -fsSk --max-time 5 "https://${master.address}:$1/healthz" >/dev/null 2>&1; }
apiserver=$(apply kube-apiserver "$apiserver_changed")
if ! retry 90 2 api_ready; then
  give_up "kube-apiserver is not ready on ${ownServer} after it $apiserver: $(${kubectl(ownServer)} get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\\n' ' ')"
fi
controller_manager=$(apply kube-controller-manager "$controller_manager_changed")
scheduler=$(apply kube-scheduler "$scheduler_changed")
retry 60 2 healthz ${CONTROLLER_MANAGER_PORT} || give_up "kube-controller-manager is not healthy after it $controller_manager"
retry 60 2 healthz ${SCHEDULER_PORT} || give_up "kube-scheduler is not healthy after it $scheduler"
echo "control plane ${master.name}: kube-apiserver $apiserver, kube-controller-manager $controller_manager, kube-scheduler $scheduler; ready"`,
  );
}

export interface ControlPlaneReadyArgs {
  /** `https://HOST:PORT` that clients use: the API VIP. */
  readonly server: string;
  readonly masters: readonly ControlPlaneHost[];
}

/**
 * The gate everything on the cluster waits for: /readyz through the client address, every master's apiserver an
 * endpoint of the `kubernetes` Service, and the `default` ServiceAccount (the controller-manager works).
 */
export function renderControlPlaneReady(a: ControlPlaneReadyArgs): string {
  const k = kubectl(a.server);
  return script(
    "control plane ready",
    `k() { ${k} "$@"; }
ready() { k get --raw /readyz >/dev/null 2>&1; }
retry 60 2 ready || fail "the API at ${a.server} is not ready: $(k get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\\n' ' ')"
addresses() { k get endpoints kubernetes -n default -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null | tr ' ' '\\n' | LC_ALL=C sort | paste -sd' '; }
every_master() { [[ $(addresses) == ${shellQuote([...a.masters.map((m) => m.address)].sort().join(" "))} ]]; }
retry 60 2 every_master || fail "the kubernetes Service lists [$(addresses)], not every master (${a.masters.map((m) => m.address).join(" ")})"
retry 60 2 k get serviceaccount default -n default >/dev/null 2>&1 || fail "the controller-manager has not made the default ServiceAccount"
echo "control plane ready at ${a.server}: ${a.masters.map((m) => m.name).join(" ")}"`,
  );
}

/** Stops and removes everything a master's step installed (the binaries belong to their artifact step). */
export function renderControlPlaneRemove(master: string): string {
  return script(
    `remove control plane ${master}`,
    `systemctl disable --now kube-control-plane-ensure.timer ${CONTROL_PLANE_UNITS.join(" ")} kube-apiserver-agent.socket 2>/dev/null || true
rm -f ${CONTROL_PLANE_UNITS.map((u) => `${UNIT_DIR}/${u}.service`).join(" ")} ${UNIT_DIR}/kube-control-plane-ensure.service ${UNIT_DIR}/kube-control-plane-ensure.timer ${UNIT_DIR}/kube-apiserver-agent.socket ${UNIT_DIR}/kube-apiserver-agent@.service
rm -rf ${K8S_DIR} /var/log/kubernetes
systemctl daemon-reload
echo "control plane ${master} removed"`,
  );
}
