/**
 * Renders the steps of an etcd restore (EtcdRestore): stage one snapshot on every member, hold the control plane,
 * restore each member's data from it with a new cluster token, start the members one by one, resume the control plane.
 * Pure functions of their inputs; each step is idempotent, so a restore cut short goes on at the next `pulumi up`.
 */
import { READ_SECRETS, script, shellQuote } from "./bash";
import { CONTROL_PLANE_UNITS, ControlPlaneHost, kubectl, masterServer } from "./control-plane-scripts";
import { ETCD_DATA_DIR, ETCD_MEMBER_WAIT_SECONDS, EtcdPeer, etcdctl } from "./etcd-scripts";

/** Where a restore keeps its snapshot, its marker and the data it replaced: one directory per restore id. */
export function etcdRestoreDir(id: string): string {
  return `/var/lib/etcd-restore/${id}`;
}

const UNIT_DIR = "/etc/systemd/system";

/** The secret file of the fetch step: the stack's SSH key, to read the snapshot from the source member. */
export const ETCD_RESTORE_SECRETS = { sshKey: "ssh.key" } as const;

/** Checks the staged snapshot's integrity hash and prints what it holds; every staging step ends with it. */
function checkStaged(dir: string): string {
  return `etcdutl snapshot status ${dir}/snapshot.db -w simple >${dir}/status 2>&1 || fail "${dir}/snapshot.db is not a sound etcd snapshot: $(tail -n 1 ${dir}/status)"
IFS=', ' read -r _ revision keys _ <${dir}/status
echo "snapshot staged: revision $revision, $keys keys, sha256 $(sha256sum ${dir}/snapshot.db | cut -d' ' -f1)"`;
}

export interface EtcdRestoreSourceArgs {
  readonly id: string;
  readonly member: string;
  /** An absolute path on the member, or undefined for the newest snapshot in `backupDirectory`. */
  readonly file?: string;
  readonly backupDirectory: string;
}

/** On the member that holds the snapshot: copies it (the named file, or the newest backup) into the restore's directory. */
export function renderEtcdRestoreSource(a: EtcdRestoreSourceArgs): string {
  const dir = etcdRestoreDir(a.id);
  const pick = a.file
    ? `src=${shellQuote(a.file)}`
    : `src=$(find ${shellQuote(a.backupDirectory)} -maxdepth 1 -name 'snapshot-*.db' 2>/dev/null | LC_ALL=C sort | tail -n 1)
[[ -n $src ]] || fail "no snapshot in ${a.backupDirectory} to restore"`;
  return script(
    `etcd restore ${a.id}: stage the snapshot on ${a.member}`,
    `command -v etcdutl >/dev/null || fail "etcdutl is not installed: the etcd release must carry it"
mkdir -p ${dir}
chmod 0700 ${dir}
if [[ ! -f ${dir}/snapshot.db ]]; then
  ${pick.replace(/\n/g, "\n  ")}
  [[ -f $src ]] || fail "$src is not a file"
  cp "$src" ${dir}/snapshot.db.part
  mv ${dir}/snapshot.db.part ${dir}/snapshot.db
  echo "$src on ${a.member}" >${dir}/source
fi
echo "restoring from $(cat ${dir}/source)"
${checkStaged(dir)}`,
  );
}

export interface EtcdRestoreFetchArgs {
  readonly id: string;
  readonly member: string;
  /** The member that staged the snapshot, and how to reach it: its address, SSH port and user, and pinned host key. */
  readonly source: { readonly name: string; readonly address: string; readonly sshPort: number; readonly sshUser: string; readonly sshHostKey: string };
}

/**
 * On every other member: reads the staged snapshot from the source member over SSH, with the stack's key (a secret
 * on stdin, on a tmpfs removed when the step ends) and the source's pinned host key, and checks that it is the same file.
 */
export function renderEtcdRestoreFetch(a: EtcdRestoreFetchArgs): string {
  const dir = etcdRestoreDir(a.id);
  const s = a.source;
  const sudo = s.sshUser === "root" ? "" : "sudo -n ";
  return script(
    `etcd restore ${a.id}: fetch the snapshot from ${s.name} to ${a.member}`,
    READ_SECRETS,
    `command -v etcdutl >/dev/null || fail "etcdutl is not installed: the etcd release must carry it"
mkdir -p ${dir}
chmod 0700 ${dir}
echo ${shellQuote(`${s.address} ${s.sshHostKey}`)} >"$SECRETS/known_hosts"
# ssh ignores a private key that others could read.
chmod 0600 "$SECRETS/${ETCD_RESTORE_SECRETS.sshKey}"
source_ssh() {
  ssh -i "$SECRETS/${ETCD_RESTORE_SECRETS.sshKey}" -p ${s.sshPort} -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SECRETS/known_hosts" \\
    -o ConnectTimeout=10 ${shellQuote(`${s.sshUser}@${s.address}`)} "$@" 2>"$SECRETS/ssh.err"
}
command -v ssh >/dev/null || fail "ssh (openssh-client) is not installed"
want=$(source_ssh ${sudo}sha256sum ${dir}/snapshot.db | cut -d' ' -f1) || fail "cannot read ${dir}/snapshot.db on ${s.name}: $(tail -n 1 "$SECRETS/ssh.err")"
if [[ ! -f ${dir}/snapshot.db ]] || [[ $(sha256sum ${dir}/snapshot.db | cut -d' ' -f1) != "$want" ]]; then
  source_ssh ${sudo}cat ${dir}/snapshot.db >${dir}/snapshot.db.part || fail "copying the snapshot from ${s.name} failed: $(tail -n 1 "$SECRETS/ssh.err")"
  [[ $(sha256sum ${dir}/snapshot.db.part | cut -d' ' -f1) == "$want" ]] || fail "the snapshot copied from ${s.name} does not match its sha256 $want"
  mv ${dir}/snapshot.db.part ${dir}/snapshot.db
fi
source_ssh ${sudo}cat ${dir}/source >${dir}/source.part || echo "${s.name}" >${dir}/source.part
mv ${dir}/source.part ${dir}/source
${checkStaged(dir)}`,
  );
}

/** On every member, after CopyToRemote put the operator's file at `snapshot.db.upload`: checks its sha256 and stages it. */
export function renderEtcdRestoreUploaded(a: { readonly id: string; readonly member: string; readonly sha256: string; readonly path: string }): string {
  const dir = etcdRestoreDir(a.id);
  return script(
    `etcd restore ${a.id}: check the uploaded snapshot on ${a.member}`,
    `command -v etcdutl >/dev/null || fail "etcdutl is not installed: the etcd release must carry it"
got=$(sha256sum ${dir}/snapshot.db.upload | cut -d' ' -f1)
[[ $got == ${a.sha256} ]] || fail "the uploaded snapshot has sha256 $got, not ${a.sha256} as etcd.restore.snapshot.sha256 says"
cp ${dir}/snapshot.db.upload ${dir}/snapshot.db.part
mv ${dir}/snapshot.db.part ${dir}/snapshot.db
echo ${shellQuote(a.path)} >${dir}/source
${checkStaged(dir)}`,
  );
}

/** The upload's path on each member (CopyToRemote's remotePath). */
export function etcdRestoreUploadPath(id: string): string {
  return `${etcdRestoreDir(id)}/snapshot.db.upload`;
}

/** On each master before any member is touched: stops its daemons and the timer that would start them again. */
export function renderControlPlaneHold(a: { readonly id: string; readonly master: string }): string {
  return script(
    `etcd restore ${a.id}: stop the control plane on ${a.master}`,
    `# Every apiserver stops before etcd goes back in time: none may write, or serve its cache of a later revision.
if [[ ! -f ${UNIT_DIR}/kube-apiserver.service ]]; then
  echo "no control plane on ${a.master} yet: its own step starts it on the restored etcd"
  exit 0
fi
systemctl stop kube-control-plane-ensure.timer
systemctl stop ${[...CONTROL_PLANE_UNITS].reverse().join(" ")}
echo "control plane on ${a.master} stopped for the restore"`,
  );
}

export interface EtcdRestoreDataArgs {
  readonly id: string;
  readonly member: EtcdPeer;
  /** Every member, in the cluster's order. */
  readonly peers: readonly EtcdPeer[];
  /** The restored cluster's token: new, so no member of the cluster before can join it. */
  readonly clusterToken: string;
}

/**
 * On each member once every member has staged the snapshot and every master has stopped: stops etcd, restores the
 * snapshot into a new data directory and swaps it in. The data it replaces is kept in the restore's directory.
 */
export function renderEtcdRestoreData(a: EtcdRestoreDataArgs): string {
  const dir = etcdRestoreDir(a.id);
  const m = a.member;
  const initialCluster = a.peers.map((p) => `${p.name}=https://${p.address}:2380`).join(",");
  return script(
    `etcd restore ${a.id}: restore the data of ${m.name}`,
    `if [[ -f ${dir}/restored ]]; then
  echo "etcd ${m.name}: already restored by ${a.id}"
  exit 0
fi
[[ -f ${dir}/snapshot.db ]] || fail "no staged snapshot in ${dir}"
# The timers first, so nothing starts etcd or snapshots it midway; the backup timer is missing on a cluster made by this up.
for unit in etcd-ensure.timer etcd-backup.timer etcd; do systemctl stop "$unit" 2>/dev/null || true; done
! systemctl is-active --quiet etcd || fail "etcd did not stop"
rm -rf ${dir}/data.new
etcdutl snapshot restore ${dir}/snapshot.db --name ${m.name} --data-dir ${dir}/data.new \\
  --initial-cluster ${initialCluster} --initial-cluster-token ${a.clusterToken} \\
  --initial-advertise-peer-urls https://${m.address}:2380 >${dir}/restore.log 2>&1 || fail "etcdutl snapshot restore failed: $(tail -n 1 ${dir}/restore.log)"
# The data it replaces is kept once, from before the first attempt: a retry must not keep a half-restored one instead.
if [[ -e ${ETCD_DATA_DIR} && ! -e ${dir}/data.before ]]; then mv ${ETCD_DATA_DIR} ${dir}/data.before; else rm -rf ${ETCD_DATA_DIR}; fi
mv ${dir}/data.new ${ETCD_DATA_DIR}
chmod 0700 ${ETCD_DATA_DIR}
touch ${dir}/restored
echo "etcd ${m.name}: data restored from $(cat ${dir}/source), the replaced data kept in ${dir}/data.before"`,
  );
}

export interface EtcdRestoreStartArgs {
  readonly id: string;
  readonly member: EtcdPeer;
  /** The member's place in the start order, from 0. */
  readonly index: number;
  readonly memberCount: number;
}

/**
 * On each member in turn: starts etcd and its timers again. The members before a quorum cannot answer healthy alone,
 * so the gate begins with the member that makes the quorum; each later one must be healthy before the next starts.
 */
export function renderEtcdRestoreStart(a: EtcdRestoreStartArgs): string {
  const quorum = Math.floor(a.memberCount / 2) + 1;
  const gated = a.index + 1 >= quorum;
  return script(
    `etcd restore ${a.id}: start ${a.member.name}`,
    `systemctl start --no-block etcd
systemctl start etcd-ensure.timer
if [[ -f ${UNIT_DIR}/etcd-backup.timer ]]; then systemctl start etcd-backup.timer; fi
${
  gated
    ? `healthy() { ${etcdctl("https://127.0.0.1:2379")} endpoint health >/dev/null 2>&1; }
retry ${ETCD_MEMBER_WAIT_SECONDS / 2} 2 healthy || fail "restored member ${a.member.name} is not healthy within ${ETCD_MEMBER_WAIT_SECONDS} s: $(journalctl -u etcd -n 3 -o cat --no-pager | tr '\\n' ' ')"
echo "etcd ${a.member.name}: restored member healthy (${a.index + 1} of ${a.memberCount} started)"`
    : `echo "etcd ${a.member.name}: restored member started (${a.index + 1} of ${a.memberCount}; ${quorum} make a quorum)"`
}`,
  );
}

/** On each master once etcd is healthy again: starts its daemons and their timer, and waits for its own /readyz. */
export function renderControlPlaneResume(a: { readonly id: string; readonly master: ControlPlaneHost }): string {
  const server = masterServer(a.master);
  return script(
    `etcd restore ${a.id}: start the control plane on ${a.master.name}`,
    `if [[ ! -f ${UNIT_DIR}/kube-apiserver.service ]]; then
  echo "no control plane on ${a.master.name} yet: its own step starts it"
  exit 0
fi
systemctl start ${CONTROL_PLANE_UNITS.join(" ")} kube-control-plane-ensure.timer
api_ready() { ${kubectl(server)} get --raw /readyz >/dev/null 2>&1; }
retry 90 2 api_ready || fail "kube-apiserver is not ready on ${server} after the restore: $(${kubectl(server)} get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\\n' ' ')"
echo "control plane on ${a.master.name}: ready on the restored etcd"`,
  );
}
