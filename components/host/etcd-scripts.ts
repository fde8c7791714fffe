/** Renders etcd's config, systemd units and the member and cluster-health scripts. Pure functions of their inputs. */
import { createHash } from "crypto";
import { FileSpec, READ_SECRETS, heredoc, putFiles, releaseComment, script, secretFile, shellQuote } from "./bash";

export const ETCD_DIR = "/etc/etcd";
export const ETCD_PKI = `${ETCD_DIR}/pki`;
const CONFIG = `${ETCD_DIR}/etcd.conf.yml`;
const UNIT = "/etc/systemd/system/etcd.service";
export const ETCD_DATA_DIR = "/var/lib/etcd";
const ENSURE_SERVICE = "/etc/systemd/system/etcd-ensure.service";
const ENSURE_TIMER = "/etc/systemd/system/etcd-ensure.timer";
const BACKUP_SCRIPT = "/usr/local/sbin/etcd-backup";
/** How long a changed member may take to answer healthy, and the whole cluster after a start: 2 s apart. */
export const ETCD_MEMBER_WAIT_SECONDS = 60;
export const ETCD_CLUSTER_WAIT_SECONDS = 120;

/**
 * What etcd says when its peers belong to another cluster: waiting longer cannot help, so a wait that sees one of
 * these fails at once, quoting it.
 */
export const ETCD_KNOWN_FAILURES = ["certificate signed by unknown authority", "remote error: tls: bad certificate", "cluster ID mismatch", "member count is unequal"];

/**
 * The cluster token of one generation of a cluster: the cluster's name and a digest of its CA. A new stack, or a
 * cluster made anew, has a new CA and so a new token, and two clusters can never take each other's members for theirs.
 */
export function etcdClusterToken(clusterName: string, caCert: string): string {
  return `${clusterName}-etcd-${createHash("sha256").update(caCert).digest("hex").slice(0, 12)}`;
}

/**
 * known_failure TEXT: prints the first of ETCD_KNOWN_FAILURES found in TEXT (an etcdctl answer, or "") or in etcd's
 * journal since this step started.
 */
const KNOWN_FAILURE_FUNCTION = `since=$(date +%s)
known_failure() {
  { printf '%s\\n' "$1"; journalctl -u etcd --since "@$since" -o cat --no-pager 2>/dev/null; } | grep -m 1 -o -E ${shellQuote(ETCD_KNOWN_FAILURES.join("|"))} || true
}`;

export interface EtcdPeer {
  readonly name: string;
  readonly address: string;
}

/** Tunables that are safe to change on a running cluster (each change rolls the members). */
export interface EtcdSettings {
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
}

/** The certificates (PEM) a member needs; their keys come as the secret files ETCD_MEMBER_SECRETS. */
export interface EtcdMemberCerts {
  readonly caCert: string;
  readonly serverCert: string;
  readonly peerCert: string;
}

/** The secret files of a member's step, by name: its server and peer keys (PEM). */
export const ETCD_MEMBER_SECRETS = { serverKey: "server.key", peerKey: "peer.key" } as const;

export interface EtcdMemberScriptArgs {
  readonly clusterToken: string;
  readonly member: EtcdPeer;
  /** Every member, this one included, in a fixed order so all members agree on initial-cluster. */
  readonly peers: readonly EtcdPeer[];
  readonly settings: EtcdSettings;
  readonly pki: EtcdMemberCerts;
  /** sha256 of the etcd release: named in the unit, so a new release restarts the members one at a time. */
  readonly releaseSha256: string;
}

export function renderEtcdConfig(a: Omit<EtcdMemberScriptArgs, "pki">): string {
  const { member } = a;
  const tls = (prefix: string) => `  cert-file: ${ETCD_PKI}/${prefix}.crt
  key-file: ${ETCD_PKI}/${prefix}.key
  trusted-ca-file: ${ETCD_PKI}/ca.crt
  client-cert-auth: true`;
  return `# Rendered by onprem-k8s; changes here are overwritten.
name: ${member.name}
data-dir: ${ETCD_DATA_DIR}
listen-peer-urls: https://${member.address}:2380
# Not 0.0.0.0: a load balancer may bind the VIP's port 2379 on this host.
listen-client-urls: https://${member.address}:2379,https://127.0.0.1:2379
initial-advertise-peer-urls: https://${member.address}:2380
advertise-client-urls: https://${member.address}:2379
initial-cluster: ${a.peers.map((p) => `${p.name}=https://${p.address}:2380`).join(",")}
initial-cluster-state: new
initial-cluster-token: ${a.clusterToken}
heartbeat-interval: ${a.settings.heartbeatIntervalMs}
election-timeout: ${a.settings.electionTimeoutMs}
snapshot-count: ${a.settings.snapshotCount}
quota-backend-bytes: ${a.settings.quotaBackendBytes}
client-transport-security:
${tls("server")}
peer-transport-security:
${tls("peer")}
`;
}

export function renderEtcdUnit(releaseSha256: string): string {
  return `${releaseComment("etcd", releaseSha256)}[Unit]
Description=etcd key-value store (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
ExecStart=/usr/local/bin/etcd --config-file ${CONFIG}
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/**
 * A stopped member is started again within 30 s: remote steps re-run only when their text changes, so the
 * running state is kept by systemd itself. `systemctl mask etcd` keeps a member down for maintenance.
 */
export function renderEtcdEnsureUnits(): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=Start etcd again if it was stopped (onprem-k8s; mask etcd to keep it down)

[Service]
Type=oneshot
# Only when etcd is down: a start job would cancel a stop in progress (with apiservers connected, a stop takes seconds).
ExecStart=/bin/sh -c 'case $$(systemctl is-active etcd) in inactive|failed) systemctl start --no-block etcd.service ;; esac'
`,
    timer: `[Unit]
Description=Keep etcd running (onprem-k8s)

[Timer]
OnActiveSec=30s
OnUnitActiveSec=30s

[Install]
WantedBy=timers.target
`,
  };
}

/** etcdctl against the given endpoints with this member's certificate (it carries client_auth). */
export function etcdctl(endpoints: string): string {
  return `etcdctl --endpoints=${endpoints} --cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/server.crt --key=${ETCD_PKI}/server.key --command-timeout=3s`;
}

/**
 * When this member leads ($is_leader, its id in $self_id), it hands over to another started member, so that its
 * restart or removal costs clients no election. `etcdctl` is the command (or shell function) against this member.
 */
function handLeadershipOver(etcdctl: string): string {
  return `  if [[ $is_leader == true ]]; then
    successor=$(${etcdctl} member list -w simple | tr -d ' ' | awk -F, -v self="$self_id" '$1 != self && $2 == "started" {print $1; exit}')
    if [[ -n $successor ]]; then ${etcdctl} move-leader "$successor" >/dev/null || true; fi
  fi`;
}

/**
 * Puts certificates, config and unit in place, then:
 * - a brand-new member starts without waiting, since it needs its peers for a quorum (the cluster gate waits);
 * - a stopped member starts and must become healthy;
 * - a running member whose files changed restarts and must become healthy, or its previous files come back.
 */
export function renderEtcdMember(a: EtcdMemberScriptArgs): string {
  const files: FileSpec[] = [
    [`${ETCD_PKI}/ca.crt`, "0644", a.pki.caCert],
    [`${ETCD_PKI}/server.crt`, "0644", a.pki.serverCert],
    [`${ETCD_PKI}/server.key`, "0600", secretFile(ETCD_MEMBER_SECRETS.serverKey)],
    [`${ETCD_PKI}/peer.crt`, "0644", a.pki.peerCert],
    [`${ETCD_PKI}/peer.key`, "0600", secretFile(ETCD_MEMBER_SECRETS.peerKey)],
    [CONFIG, "0644", renderEtcdConfig(a)],
    [UNIT, "0644", renderEtcdUnit(a.releaseSha256)],
    [ENSURE_SERVICE, "0644", renderEtcdEnsureUnits().service],
    [ENSURE_TIMER, "0644", renderEtcdEnsureUnits().timer],
  ];
  const self = a.member;
  const peerUrl = (p: EtcdPeer) => `https://${p.address}:2380`;
  const others = a.peers.filter((p) => p.name !== self.name);
  const othersEndpoints = others.map((p) => `https://${p.address}:2379`).join(",");
  const quorumGuard = `# A change of members that would lose the cluster's quorum stops here, before any file changes: the members that
# stay must be a quorum of the cluster as it is.
if [[ -f ${ETCD_PKI}/server.crt ]] && current=$(${etcdctl([...a.peers.map((p) => `https://${p.address}:2379`), "https://127.0.0.1:2379"].join(","))} member list -w simple 2>/dev/null); then
  wanted=" ${a.peers.map(peerUrl).join(" ")} "
  total=0 kept=0 leaving=()
  while IFS=', ' read -r _ _ name url _; do
    total=$((total + 1))
    if [[ $wanted == *" $url "* ]]; then kept=$((kept + 1)); else leaving+=("\${name:-$url}"); fi
  done < <(sort -t, -k3,3 <<<"$current")
  if ((kept < total / 2 + 1)); then
    fail "removing \${leaving[*]} at once would leave $kept of $total etcd members, less than a quorum of $((total / 2 + 1)); remove at most $(((total - 1) / 2)) per up, e.g. one member per up, each up after the last one ended well"
  fi
fi`;
  return script(
    `etcd member ${a.member.name}`,
    READ_SECRETS,
    `command -v etcd >/dev/null || fail "etcd is not installed"
${quorumGuard}
${putFiles(files)}
local_etcdctl() { ${etcdctl("https://127.0.0.1:2379")} "$@"; }
${KNOWN_FAILURE_FUNCTION}
# Healthy, or a cause that waiting cannot mend: its peers belong to another cluster.
healthy() {
  local cause
  local_etcdctl endpoint health >/dev/null 2>&1 && return 0
  cause=$(known_failure "")
  [[ -z $cause ]] || give_up_on_member "its peers belong to another cluster (etcd: $cause)"
  return 1
}
# give_up_on_member WHY: the previous files come back, and the step fails.
give_up_on_member() {
  restore_files
  systemctl daemon-reload
  systemctl restart etcd || true
  fail "member ${a.member.name} is not healthy after the change: $1; its previous files are restored"
}
systemctl daemon-reload
systemctl enable --quiet etcd etcd-ensure.timer
systemctl start etcd-ensure.timer
if ! systemctl is-active --quiet etcd; then
  if [[ ! -d ${ETCD_DATA_DIR}/member ]]; then
    ${others.length === 0 ? "members=" : `members=$(${etcdctl(othersEndpoints)} member list -w simple 2>/dev/null) || members=`}
    if [[ -z $members ]]; then
      # No other member answers with a quorum: this one starts a new cluster with them (initial-cluster-state new).
      systemctl start --no-block etcd
      echo "etcd ${self.name}: started a new member"
      exit 0
    fi
    # A cluster runs: this member joins it. One listed with client URLs ran before and lost its data, so it is replaced;
    # one without never ran (a member of the first start, or one a failed join added).
    IFS=', ' read -r old_id _ _ _ old_client_urls _ < <(grep -F ", ${peerUrl(self)}," <<<"$members") || old_id=
    # join_failed WHY: the member this step added leaves the cluster again and its files go, so the cluster keeps its
    # fault tolerance and a later up starts from a host without them.
    added_id=
    join_failed() {
      if [[ -n $added_id ]]; then others_etcdctl member remove "$added_id" >/dev/null 2>&1 || true; fi
      restore_files
      systemctl daemon-reload
      fail "${self.name} did not join the cluster: $1; its files are removed"
    }
    # etcd refuses a change of members until every member has been connected for a few seconds (strict reconfig
    # check), as after the rolling restart that put the new member in the others' config.
    others_etcdctl() { ${etcdctl(othersEndpoints)} "$@"; }
    if [[ -n $old_id && -n $old_client_urls ]]; then
      retry 15 2 others_etcdctl member remove "$old_id" >/dev/null || join_failed "member remove $old_id (${peerUrl(self)}, which lost its data) failed"
      old_id=
    fi
    # add_self: a member add, unless an earlier try went through after all.
    add_self() {
      others_etcdctl member list -w simple | grep -qF ", ${peerUrl(self)}," || others_etcdctl member add ${self.name} --peer-urls=${peerUrl(self)} >/dev/null
    }
    if [[ -z $old_id ]]; then
      retry 15 2 add_self 2>/dev/null || join_failed "member add failed: $(add_self 2>&1 | tail -n 1)"
    fi
    members=$(others_etcdctl member list -w simple) || join_failed "the cluster stopped answering"
    [[ -n $old_id ]] || IFS=', ' read -r added_id _ < <(grep -F ", ${peerUrl(self)}," <<<"$members")
    # The cluster as it is now, this member (nameless until it first starts, if it joins now) by its own name.
    initial=$(awk -F', ' -v self=${peerUrl(self)} '{ printf "%s%s=%s", (NR > 1 ? "," : ""), ($4 == self ? "${self.name}" : $3), $4 }' <<<"$members")
    sed -i -e "s|^initial-cluster: .*|initial-cluster: $initial|" -e "s|^initial-cluster-state: new$|initial-cluster-state: existing|" ${CONFIG}
    systemctl start --no-block etcd
    if ! retry ${ETCD_MEMBER_WAIT_SECONDS / 2} 2 healthy; then
      systemctl stop etcd
      join_failed "not healthy within ${ETCD_MEMBER_WAIT_SECONDS} s: $(journalctl -u etcd -n 2 -o cat --no-pager | tr '\\n' ' ')"
    fi
    echo "etcd ${self.name}: joined the cluster ($initial)"
    exit 0
  fi
  systemctl start etcd || true
elif [[ $CHANGED == 1 ]]; then
  # A leader hands over first, so clients see no election while it restarts.
  self_id='' is_leader=false
  IFS=, read -r _ self_id _ _ is_leader _ < <(local_etcdctl endpoint status -w simple | tr -d ' ') || true
${handLeadershipOver("local_etcdctl")}
  systemctl restart etcd || true
else
  echo "etcd ${a.member.name}: unchanged"
  exit 0
fi
retry ${ETCD_MEMBER_WAIT_SECONDS / 2} 2 healthy || give_up_on_member "no answer within ${ETCD_MEMBER_WAIT_SECONDS} s"
echo "etcd ${a.member.name}: healthy"`,
  );
}

/** Waits until every member answers healthy; everything that uses etcd waits for this. */
export function renderEtcdClusterHealth(peers: readonly EtcdPeer[]): string {
  const endpoints = peers.map((p) => `https://${p.address}:2379`).join(",");
  return script(
    "etcd cluster health",
    `${KNOWN_FAILURE_FUNCTION}
# Healthy, or a cause that waiting cannot mend: a member answers for another cluster, or rejects this one.
healthy() {
  local out cause
  out=$(${etcdctl(endpoints)} endpoint health 2>&1) && return 0
  cause=$(known_failure "$out")
  [[ -z $cause ]] || fail "etcd cluster is not healthy: its members belong to different clusters (etcd: $cause); reset the hosts that hold another cluster (scripts/reset.sh) or destroy the stack that made it"
  return 1
}
if ! retry ${ETCD_CLUSTER_WAIT_SECONDS / 2} 2 healthy; then
  fail "etcd cluster is not healthy within ${ETCD_CLUSTER_WAIT_SECONDS} s: $(${etcdctl(endpoints)} endpoint health 2>&1 | tr '\\n' ' ')"
fi
echo "etcd cluster healthy: ${peers.map((p) => p.name).join(" ")}"`,
  );
}

/**
 * Stops a member and removes its units, config, certificates and data; the binaries belong to their artifact step.
 * A member that leaves a running cluster (`leaveCluster`, the member step's delete) is removed from it first, so the
 * others never count a stopped member toward their quorum; the last member has nothing to leave.
 */
export function renderEtcdMemberRemove(member: string, leaveCluster = false): string {
  const local = etcdctl("https://127.0.0.1:2379");
  const leave = `systemctl stop etcd-ensure.timer 2>/dev/null || true
if systemctl is-active --quiet etcd && [[ $(${local} member list -w simple 2>/dev/null | wc -l) -gt 1 ]]; then
  IFS=, read -r _ self_id _ _ is_leader _ < <(${local} endpoint status -w simple | tr -d ' ') || fail "etcd does not answer: cannot leave the cluster before stopping"
  # A leader hands over first: removing it would fail the writes in flight with "leader changed".
${handLeadershipOver(local)}
  # Through the others: a member that applies its own removal stops at once, and answers its client "server stopped".
  others=$(${local} member list -w simple | tr -d ' ' | awk -F, -v self="$self_id" '$1 != self && $5 != "" {print $5}' | paste -sd,)
  ${etcdctl('"$others"')} member remove "$self_id" >/dev/null || fail "member remove $self_id failed: the others may lack a quorum; the member keeps running"
  echo "etcd member ${member} left the cluster"
fi
`;
  return script(
    `remove etcd member ${member}`,
    `${leaveCluster ? leave : ""}systemctl disable --now etcd-ensure.timer etcd etcd-backup.timer 2>/dev/null || true
rm -rf ${UNIT} ${ENSURE_SERVICE} ${ENSURE_TIMER} /etc/systemd/system/etcd-backup.service /etc/systemd/system/etcd-backup.timer ${BACKUP_SCRIPT} ${ETCD_DIR} ${ETCD_DATA_DIR}
systemctl daemon-reload
echo "etcd member ${member} removed"`,
  );
}

export interface EtcdBackupArgs {
  readonly intervalMinutes: number;
  /** How many snapshots to keep. */
  readonly retention: number;
  readonly directory: string;
}

/** A systemd timer that snapshots the local member and keeps the newest `retention` snapshots. */
export function renderEtcdBackup(b: EtcdBackupArgs): string {
  const backup = `#!/usr/bin/env bash
# Rendered by onprem-k8s: snapshot the local etcd member, keep the newest ${b.retention}.
set -euo pipefail
dir=${shellQuote(b.directory)}
mkdir -p "$dir"
file="$dir/snapshot-$(date -u +%Y%m%dT%H%M%SZ).db"
${etcdctl("https://127.0.0.1:2379")} snapshot save "$file.part" >/dev/null
mv -f "$file.part" "$file"
find "$dir" -maxdepth 1 -name 'snapshot-*.db' | sort -r | tail -n +$((${b.retention} + 1)) | xargs -r rm -f
echo "etcd snapshot: $file"
`;
  const service = `[Unit]
Description=etcd snapshot backup (onprem-k8s)
After=etcd.service

[Service]
Type=oneshot
ExecStart=${BACKUP_SCRIPT}
`;
  const timer = `[Unit]
Description=etcd snapshot every ${b.intervalMinutes} minutes (onprem-k8s)

[Timer]
OnActiveSec=${b.intervalMinutes}min
OnUnitActiveSec=${b.intervalMinutes}min

[Install]
WantedBy=timers.target
`;
  return script(
    "etcd backup timer",
    `${heredoc(`put_file ${BACKUP_SCRIPT} 0755`, backup)}
${heredoc("put_file /etc/systemd/system/etcd-backup.service 0644", service)}
${heredoc("put_file /etc/systemd/system/etcd-backup.timer 0644", timer)}
systemctl daemon-reload
systemctl enable --quiet etcd-backup.timer
if [[ $CHANGED == 1 ]]; then systemctl restart etcd-backup.timer; else systemctl start etcd-backup.timer; fi
echo "etcd backup every ${b.intervalMinutes} min into ${b.directory}, keeping ${b.retention}"`,
  );
}
