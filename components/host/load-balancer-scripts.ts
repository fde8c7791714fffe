/**
 * Renders HAProxy and keepalived config and the scripts that install and apply them. Pure functions.
 * Several load balancers may share hosts: each owns one file in /etc/haproxy/conf.d and one in
 * /etc/keepalived/conf.d, beside a shared base written by the packages step.
 */
import { Failback } from "../../spec/cluster";
import { READ_SECRETS, aptInstall, heredoc, script, shellQuote } from "./bash";

export interface LbBackend {
  readonly name: string;
  readonly address: string;
}

export const HAPROXY_DIR = "/etc/haproxy/conf.d";
export const KEEPALIVED_DIR = "/etc/keepalived/conf.d";
// Every load-balancer step on a host takes this lock: apt, the shared files and the restarts never interleave.
const LOCK = "exec 9>/run/onprem-k8s-lb.lock\nflock 9";
/** HAProxy's built-in Prometheus exporter (Debian's haproxy has it): `/metrics` on every address of the host. */
export const HAPROXY_METRICS_PORT = 8405;
/** Debian's prometheus-node-exporter on every load-balancer host (they need not be Kubernetes nodes): `/metrics`. */
export const NODE_EXPORTER_PORT = 9100;
/** Where Debian's node_exporter reads `*.prom` files (its textfile collector). */
export const NODE_EXPORTER_TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";
/**
 * 1 while this host holds a VRRP instance's VIP, 0 otherwise, labelled `vrrp_instance`: a scraper sets `instance` to
 * the target itself and would rename that label.
 */
export const KEEPALIVED_MASTER_METRIC = "onprem_keepalived_vrrp_master";
/** keepalived's notify script of every VRRP instance: it writes the instance's KEEPALIVED_MASTER_METRIC. */
export const KEEPALIVED_NOTIFY_SCRIPT = "/etc/keepalived/onprem-notify.sh";
const LB_PACKAGES = ["haproxy", "keepalived", "prometheus-node-exporter"];

/** The settings every load balancer on a host shares. */
export function renderHaproxyBase(): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
global
    log /dev/log local0
    maxconn 4096

defaults
    mode tcp
    log global
    option tcplog
    # A backend that refuses a connection (restarting) is skipped for the next one.
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 10m
    timeout server 10m

# HAProxy's own metrics for a scraper, on every address; anything but /metrics is a 404, and there is no stats page.
frontend metrics
    mode http
    bind :${HAPROXY_METRICS_PORT}
    # Scrapes are not logged, failed requests are.
    option httplog
    option dontlog-normal
    timeout http-request 10s
    http-request use-service prometheus-exporter if { path /metrics }
    http-request deny deny_status 404
`;
}

export interface HaproxyArgs {
  readonly name: string;
  readonly vip: string;
  readonly ports: readonly number[];
  readonly backends: readonly LbBackend[];
  /**
   * Check each backend with an HTTPS GET of this path (status 200 = up; the certificate is not verified) instead of a
   * TCP connect, for servers that listen before they are ready, such as kube-apiserver's /readyz. @default TCP connect
   */
  readonly httpsCheckPath?: string;
  /**
   * Check each backend with a plain HTTP GET of `path` on `port` (status 200 = up) instead of a TCP connect to the
   * forwarded port, for a server that reports its own stop, such as Traefik's /ping. @default TCP connect
   */
  readonly httpCheck?: HttpCheck;
  /**
   * Port of an HAProxy agent on every backend that answers `drain` while its server is about to stop, so new clients
   * go to the other backends before the server stops answering. @default no agent
   */
  readonly agentPort?: number;
}

/** A health check by HTTP GET on a port of its own. */
export interface HttpCheck {
  readonly port: number;
  readonly path: string;
}

/** One frontend on the VIP per port, every backend health-checked. */
export function renderHaproxyConfig(a: HaproxyArgs): string {
  const check = a.httpsCheckPath
    ? `    option httpchk GET ${a.httpsCheckPath}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 check-ssl verify none`
    : a.httpCheck
      ? `    option httpchk GET ${a.httpCheck.path}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 port ${a.httpCheck.port}`
      : `    option tcp-check
    default-server inter 1s fall 2 rise 2`;
  const agent = a.agentPort === undefined ? "" : ` agent-check agent-port ${a.agentPort} agent-inter 1s`;
  const sections = a.ports.map(
    (port) => `frontend ${a.name}-${port}
    bind ${a.vip}:${port}
    default_backend ${a.name}-${port}

backend ${a.name}-${port}
    balance roundrobin
${check}
${a.backends.map((b) => `    server ${b.name} ${b.address}:${port} check${agent}`).join("\n")}
`,
  );
  return `# Rendered by onprem-k8s for load balancer ${a.name}; changes here are overwritten.
${sections.join("\n")}`;
}

/** keepalived's main file: host-wide settings, then every load balancer's own file. */
export function renderKeepalivedBase(hostName: string): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
global_defs {
    router_id ${hostName}
    enable_script_security
    script_user root
}

vrrp_script chk_haproxy {
    script "/usr/bin/systemctl is-active --quiet haproxy"
    interval 1
    fall 2
    rise 2
}

include ${KEEPALIVED_DIR}/*.conf
`;
}

export interface KeepalivedArgs {
  readonly name: string;
  readonly vip: string;
  /** Prefix length of the host network the VIP lives in. */
  readonly prefix: number;
  readonly virtualRouterId: number;
  /** Higher wins; the first host of the pair gets the highest. */
  readonly priority: number;
  readonly self: LbBackend;
  readonly peers: readonly LbBackend[];
  /** "never" (nopreempt), "immediate", or seconds of preempt_delay. */
  readonly failback: Failback;
}

/** keepalived's preemption lines for a failback; every host starts as BACKUP, which both options require. */
function renderPreemption(failback: Failback): string {
  if (failback === "never") return "    # A recovered host leaves the VIP where it is: every move resets the connections held through it.\n    nopreempt\n";
  if (failback === "immediate") return "";
  return `    preempt_delay ${failback}\n`;
}

// The interface name differs per host; the script fills it in from the host's own address.
export const INTERFACE_PLACEHOLDER = "@INTERFACE@";
// The VRRP password is a secret: the script fills it in from its secret file.
const AUTH_PASS_PLACEHOLDER = "@AUTH_PASS@";
/** The secret file of a load balancer's config step: the VRRP PASS password. */
export const VRRP_PASSWORD_SECRET = "vrrp-password";

/** VRRP over unicast between the pair; the VIP follows the healthy haproxy with the highest priority. */
export function renderKeepalivedConfig(a: KeepalivedArgs): string {
  return `# Rendered by onprem-k8s for load balancer ${a.name}; changes here are overwritten.
vrrp_instance ${a.name} {
    state BACKUP
    interface ${INTERFACE_PLACEHOLDER}
    virtual_router_id ${a.virtualRouterId}
    priority ${a.priority}
${renderPreemption(a.failback)}    advert_int 1
    authentication {
        auth_type PASS
        auth_pass ${AUTH_PASS_PLACEHOLDER}
    }
    unicast_src_ip ${a.self.address}
    unicast_peer {
${a.peers.map((p) => `        ${p.address}`).join("\n")}
    }
    virtual_ipaddress {
        ${a.vip}/${a.prefix} dev ${INTERFACE_PLACEHOLDER}
    }
    track_script {
        chk_haproxy
    }
    notify ${KEEPALIVED_NOTIFY_SCRIPT}
}
`;
}

/** The file that holds one VRRP instance's KEEPALIVED_MASTER_METRIC. */
function vrrpMetricFile(instance: string): string {
  return `${NODE_EXPORTER_TEXTFILE_DIR}/keepalived-${instance}.prom`;
}

/**
 * keepalived's notify script: called as TYPE NAME STATE PRIORITY at every state change of an instance (as root, the
 * base's script_user), it writes the instance's state for node_exporter, 1 for MASTER and 0 for BACKUP, FAULT and
 * STOP. ONPREM_IF_ABSENT=1 writes only where the instance has no file yet, for the config step's first reading.
 */
export function renderKeepalivedNotify(): string {
  const file = vrrpMetricFile("$name");
  return `#!/bin/bash
# Rendered by onprem-k8s; changes here are overwritten.
set -euo pipefail
PATH=/usr/sbin:/usr/bin:/sbin:/bin
type=\${1:-} name=\${2:-} state=\${3:-}
[[ $type == INSTANCE && $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || exit 0
# An instance whose load balancer is removed (keepalived reports it FAULT on the reload) leaves no file behind.
if [[ ! -f ${KEEPALIVED_DIR}/$name.conf ]]; then
  rm -f "${file}"
  exit 0
fi
value=0
if [[ $state == MASTER ]]; then value=1; fi
mkdir -p ${NODE_EXPORTER_TEXTFILE_DIR}
# node_exporter reads only *.prom: it sees the new file whole, by its rename, or not at all.
tmp=$(mktemp "${NODE_EXPORTER_TEXTFILE_DIR}/.keepalived-$name.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<METRIC
# HELP ${KEEPALIVED_MASTER_METRIC} 1 when this host holds the VRRP instance's VIP.
# TYPE ${KEEPALIVED_MASTER_METRIC} gauge
${KEEPALIVED_MASTER_METRIC}{vrrp_instance="$name"} $value
METRIC
chmod 0644 "$tmp"
if [[ \${ONPREM_IF_ABSENT:-} == 1 ]]; then
  ln "$tmp" "${file}" 2>/dev/null || true
else
  mv -f "$tmp" "${file}"
fi
`;
}

/**
 * Installs haproxy, keepalived and prometheus-node-exporter (from the given apt source alone when there is one; without
 * what they only recommend: node-exporter's collectors, keepalived's ipvsadm) and writes the shared base.
 */
export function renderLbPackages(aptSource: string | undefined, hostName: string): string {
  return script(
    "install haproxy and keepalived",
    `${LOCK}
if ! dpkg -s ${LB_PACKAGES.join(" ")} >/dev/null 2>&1; then
${aptInstall(aptSource, LB_PACKAGES, false)}
fi
# haproxy binds the VIP on the backup too, before keepalived moves it there.
${heredoc("put_file /etc/sysctl.d/60-onprem-k8s-lb.conf 0644", "net.ipv4.ip_nonlocal_bind = 1")}
sysctl -q -w net.ipv4.ip_nonlocal_bind=1
# haproxy reads every file of its conf.d; keepalived includes its conf.d from the main file.
${heredoc("put_file /etc/default/haproxy 0644", `CONFIG=${HAPROXY_DIR}`)}
${heredoc(`put_file ${HAPROXY_DIR}/00-base.cfg 0644`, renderHaproxyBase())}
${heredoc("put_file /etc/keepalived/keepalived.conf 0644", renderKeepalivedBase(hostName))}
${heredoc(`put_file ${KEEPALIVED_NOTIFY_SCRIPT} 0755`, renderKeepalivedNotify())}
mkdir -p ${KEEPALIVED_DIR}
rm -f /etc/haproxy/haproxy.cfg
echo "haproxy $(haproxy -v | head -n 1 | cut -d' ' -f3), keepalived and prometheus-node-exporter installed"`,
  );
}

export interface LbConfigScriptArgs {
  readonly name: string;
  readonly haproxy: string;
  readonly keepalived: string;
  readonly address: string;
}

/** The VIP of a keepalived instance that renderKeepalivedConfig rendered. */
function keepalivedVip(keepalived: string): string {
  const vip = /virtual_ipaddress \{\s+([0-9.]+)\//.exec(keepalived)?.[1];
  if (!vip) throw new Error("the keepalived config has no virtual_ipaddress");
  return vip;
}

/** Applies one load balancer's files; files that fail their check are rolled back and the daemons keep the old ones. */
export function renderLbConfig(a: LbConfigScriptArgs): string {
  const vip = keepalivedVip(a.keepalived);
  return script(
    `load balancer ${a.name}`,
    READ_SECRETS,
    `${LOCK}
iface=$(ip -o -4 addr show | awk -v a=${shellQuote(a.address)} '{split($4, p, "/")} p[1] == a {print $2; exit}')
[[ -n $iface ]] || fail "no interface has address ${a.address}"
${heredoc(`put_file ${HAPROXY_DIR}/50-${a.name}.cfg 0644`, a.haproxy)}
haproxy_changed=$CHANGED
CHANGED=0
${heredoc("keepalived_conf=$(cat", a.keepalived)}
)
keepalived_conf=\${keepalived_conf//${INTERFACE_PLACEHOLDER}/$iface}
put_file ${KEEPALIVED_DIR}/${a.name}.conf 0600 <<<"\${keepalived_conf//${AUTH_PASS_PLACEHOLDER}/$(<"$SECRETS/${VRRP_PASSWORD_SECRET}")}"
keepalived_changed=$CHANGED
if ! haproxy -c -q -f ${HAPROXY_DIR}; then restore_files; fail "haproxy rejected the new config; the previous one is restored"; fi
if ! keepalived -t -f /etc/keepalived/keepalived.conf 2>/dev/null; then restore_files; fail "keepalived rejected the new config; the previous one is restored"; fi
systemctl enable --quiet haproxy keepalived prometheus-node-exporter
# A reload keeps the command line, so an haproxy started before conf.d existed (by apt) needs a restart.
if ! tr '\\0' ' ' <"/proc/$(systemctl show -p MainPID --value haproxy)/cmdline" 2>/dev/null | grep -q -- "-f ${HAPROXY_DIR} "; then
  systemctl restart haproxy
elif [[ $haproxy_changed == 1 ]]; then
  systemctl reload haproxy
fi
if [[ $keepalived_changed == 1 ]]; then systemctl reload-or-restart keepalived; else systemctl start keepalived; fi
systemctl is-active --quiet haproxy || fail "haproxy is not running"
systemctl is-active --quiet keepalived || fail "keepalived is not running"
# node_exporter only reports: the VIP does not wait for it.
systemctl start prometheus-node-exporter || echo "onprem-k8s: $STEP on $(hostname): prometheus-node-exporter did not start" >&2
# keepalived calls its notify script only at a change of state: an instance that ran before it had one has no file yet.
if [[ $(ip -o -4 addr show dev "$iface") == *" ${vip}/"* ]]; then vrrp_state=MASTER; else vrrp_state=BACKUP; fi
ONPREM_IF_ABSENT=1 ${KEEPALIVED_NOTIFY_SCRIPT} INSTANCE ${a.name} "$vrrp_state"
echo "load balancer ${a.name} on $iface: haproxy and keepalived running"`,
  );
}

// Stops the daemons and removes every file the packages step and the notify script wrote; the packages stay installed.
const LB_TEARDOWN = `systemctl disable --now keepalived haproxy prometheus-node-exporter 2>/dev/null || true
  rm -rf ${KEEPALIVED_DIR} /etc/keepalived/keepalived.conf ${HAPROXY_DIR} /etc/default/haproxy /etc/sysctl.d/60-onprem-k8s-lb.conf /etc/apt/sources.list.d/onprem-k8s.list
  rm -f ${KEEPALIVED_NOTIFY_SCRIPT} ${KEEPALIVED_NOTIFY_SCRIPT}.bak ${vrrpMetricFile("*")}`;

/** Removes one load balancer's files; the daemons stop when no load balancer is left on the host. */
export function renderLbRemove(name: string): string {
  return script(
    `remove load balancer ${name}`,
    `${LOCK}
rm -f ${HAPROXY_DIR}/50-${name}.cfg ${HAPROXY_DIR}/50-${name}.cfg.bak ${KEEPALIVED_DIR}/${name}.conf ${KEEPALIVED_DIR}/${name}.conf.bak ${vrrpMetricFile(name)}
if compgen -G "${KEEPALIVED_DIR}/*.conf" >/dev/null; then
  systemctl reload-or-restart haproxy keepalived
else
  ${LB_TEARDOWN}
fi
echo "load balancer ${name} removed"`,
  );
}

/** Removes every load balancer on the host, whichever stack made them. */
export function renderLbRemoveAll(): string {
  return script(
    "remove every load balancer",
    `${LOCK}
if [[ -d ${HAPROXY_DIR} || -d ${KEEPALIVED_DIR} ]]; then
  ${LB_TEARDOWN}
fi
echo "every load balancer removed"`,
  );
}
