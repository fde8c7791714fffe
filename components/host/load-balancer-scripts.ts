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
   * Port of an HAProxy agent on every backend that answers `drain` while its server is about to stop, so new clients
   * go to the other backends before the server stops answering. @default no agent
   */
  readonly agentPort?: number;
}

/** One frontend on the VIP per port, every backend health-checked. */
export function renderHaproxyConfig(a: HaproxyArgs): string {
  const check = a.httpsCheckPath
    ? `    option httpchk GET ${a.httpsCheckPath}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 check-ssl verify none`
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
}
`;
}

/** Installs haproxy and keepalived (from the given apt source alone when there is one) and writes the shared base. */
export function renderLbPackages(aptSource: string | undefined, hostName: string): string {
  return script(
    "install haproxy and keepalived",
    `${LOCK}
if ! dpkg -s haproxy keepalived >/dev/null 2>&1; then
${aptInstall(aptSource, ["haproxy", "keepalived"])}
fi
# haproxy binds the VIP on the backup too, before keepalived moves it there.
${heredoc("put_file /etc/sysctl.d/60-onprem-k8s-lb.conf 0644", "net.ipv4.ip_nonlocal_bind = 1")}
sysctl -q -w net.ipv4.ip_nonlocal_bind=1
# haproxy reads every file of its conf.d; keepalived includes its conf.d from the main file.
${heredoc("put_file /etc/default/haproxy 0644", `CONFIG=${HAPROXY_DIR}`)}
${heredoc(`put_file ${HAPROXY_DIR}/00-base.cfg 0644`, renderHaproxyBase())}
${heredoc("put_file /etc/keepalived/keepalived.conf 0644", renderKeepalivedBase(hostName))}
mkdir -p ${KEEPALIVED_DIR}
rm -f /etc/haproxy/haproxy.cfg
echo "haproxy $(haproxy -v | head -n 1 | cut -d' ' -f3), keepalived installed"`,
  );
}

export interface LbConfigScriptArgs {
  readonly name: string;
  readonly haproxy: string;
  readonly keepalived: string;
  readonly address: string;
}

/** Applies one load balancer's files; files that fail their check are rolled back and the daemons keep the old ones. */
export function renderLbConfig(a: LbConfigScriptArgs): string {
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
systemctl enable --quiet haproxy keepalived
# A reload keeps the command line, so an haproxy started before conf.d existed (by apt) needs a restart.
if ! tr '\\0' ' ' <"/proc/$(systemctl show -p MainPID --value haproxy)/cmdline" 2>/dev/null | grep -q -- "-f ${HAPROXY_DIR} "; then
  systemctl restart haproxy
elif [[ $haproxy_changed == 1 ]]; then
  systemctl reload haproxy
fi
if [[ $keepalived_changed == 1 ]]; then systemctl reload-or-restart keepalived; else systemctl start keepalived; fi
systemctl is-active --quiet haproxy || fail "haproxy is not running"
systemctl is-active --quiet keepalived || fail "keepalived is not running"
echo "load balancer ${a.name} on $iface: haproxy and keepalived running"`,
  );
}

// Stops both daemons and removes every file the packages step wrote; the packages stay installed.
const LB_TEARDOWN = `systemctl disable --now keepalived haproxy 2>/dev/null || true
  rm -rf ${KEEPALIVED_DIR} /etc/keepalived/keepalived.conf ${HAPROXY_DIR} /etc/default/haproxy /etc/sysctl.d/60-onprem-k8s-lb.conf /etc/apt/sources.list.d/onprem-k8s.list`;

/** Removes one load balancer's files; the daemons stop when no load balancer is left on the host. */
export function renderLbRemove(name: string): string {
  return script(
    `remove load balancer ${name}`,
    `${LOCK}
rm -f ${HAPROXY_DIR}/50-${name}.cfg ${HAPROXY_DIR}/50-${name}.cfg.bak ${KEEPALIVED_DIR}/${name}.conf ${KEEPALIVED_DIR}/${name}.conf.bak
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
