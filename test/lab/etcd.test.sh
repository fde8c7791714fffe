#!/usr/bin/env bash
# End-to-end test of the etcd + load balancer slice on freshly booted lab hosts, through the real pulumi CLI:
# first up, no-op up, rolling change under writes, VIP failover, a stopped member, a bad artifact checksum, a failing
# step's reason, the backup timer, a restore after every member lost its data, a Secrets-encryption key rotation,
# growing etcd to 5 members and back, hosts that hold another cluster
# (preflight, reset, the main job) and destroy. Run as root; it resets the lab in LAB_DIR and the lab stack's state.
# Ends with "N passed, M failed"; non-zero on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABS=$ROOT/scripts/lab
# Its worker and edge nodes are kwok's (simulate_nodes): no node hosts. lab4 and lab5 boot bare: the membership drill
# makes them etcd members and takes them out again; until then the stack's members are lab1-lab3.
export LAB_NODES='' LAB_N=5
# shellcheck source=../../scripts/lab/lib.sh
. "$LABS/lib.sh"
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=harness.sh
. "$ROOT/test/lab/harness.sh"
cd "$ROOT"
LOG=$(mktemp /tmp/etcd-test.XXXXXX)
WORK=$(mktemp -d /tmp/etcd-test-work.XXXXXX)
STACK=lab
VIP=172.31.250.100
read -r -a ALL_HOSTS <<<"$LAB_HOSTS"
HOSTS=("${ALL_HOSTS[@]:0:3}")
SPARE=("${ALL_HOSTS[@]:3}")
# shellcheck source=lab-stack-test.sh
. "$ROOT/test/lab/lab-stack-test.sh"
ectl() { "$WORK/etcdctl" --endpoints="https://$VIP:2379" --cacert="$WORK/ca.crt" --cert="$WORK/client.crt" --key="$WORK/client.key" --command-timeout=3s "$@"; }
# Writes through the VIP every 100 ms until stopped (at most 10 minutes); one line per failed write.
start_writer() {
  : >"$WORK/write-failures"
  (for ((i = 0; i < 6000; i++)); do
    ectl put "writer/key" "$i" >/dev/null 2>&1 || echo "write $i failed at $(date +%T.%N)" >>"$WORK/write-failures"
    sleep 0.1
  done) &
  background_pid=$!
}
stop_writer() { kill "$background_pid" 2>/dev/null; wait "$background_pid" 2>/dev/null || true; background_pid=; }
member_started_at() { on "$1" systemctl show -p ActiveEnterTimestampMonotonic --value etcd; }

[[ $(id -u) -eq 0 ]] || { bad "must run as root"; exit 1; }
info "log: $LOG"

# --- bare hosts and a new stack ------------------------------------------------------------------------
"$LABS/down.sh" --purge >>"$LOG" 2>&1
"$LABS/up.sh" >>"$LOG" 2>&1
pulumi stack rm --yes --force --preserve-config "$STACK" >>"$LOG" 2>&1 || true
"$LABS/stack-config.sh" >>"$LOG" 2>&1
simulate_nodes
tar -xzf "$LAB_DIR"/mirror/artifacts/etcd-*.tar.gz -C "$WORK" --strip-components=1 --wildcards '*/etcdctl'

# --- 1. first up ---------------------------------------------------------------------------------------
t0=$(now)
check "pulumi up from bare hosts" up
info "first up took $(since "$t0")s"
pulumi stack output etcdCaCert --stack "$STACK" >"$WORK/ca.crt"
pulumi stack output etcdClientCert --stack "$STACK" >"$WORK/client.crt"
(umask 077 && pulumi stack output etcdClientKey --show-secrets --stack "$STACK" >"$WORK/client.key")
check "etcd answers healthy over TLS through the VIP" ectl endpoint health
verdict "the cluster has 3 members" test "$(ectl member list | wc -l)" -eq 3
check "every member is healthy" ectl endpoint health --cluster
# The nodes here are kwok's: the simulated path of NodePool, on the lab's real control plane.
KUBE_BIN=$(bash "$ROOT/scripts/build-kubernetes.sh" 2>>"$LOG")
(umask 077 && pulumi stack output kubeconfig --show-secrets --stack "$STACK" >"$WORK/admin.conf")
kwok_nodes() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/admin.conf" get nodes -l type=kwok -o jsonpath='{range .items[*]}{.metadata.name} {end}'; }
check "kwok keeps the simulated nodes Ready" "$KUBE_BIN/kubectl" --kubeconfig "$WORK/admin.conf" wait --for=condition=Ready node -l type=kwok --timeout=60s
verdict "they are the lab stack's worker and edge hosts ($(kwok_nodes))" test "$(kwok_nodes 2>>"$LOG")" = "lab-e1 lab-e2 lab-w1 lab-w2 "
# The same put with the client certificate succeeds, so the refusal is the certificate's and not a VIP that is down.
refused_without_cert() {
  ectl put k v || return 1
  ! "$WORK/etcdctl" --endpoints="https://$VIP:2379" --cacert="$WORK/ca.crt" --command-timeout=3s put k v
}
check "a client without a certificate is refused, while one with it is served" refused_without_cert
check "the stack state exports" bash -c "pulumi stack export --stack $STACK >'$WORK/state.json'"
verdict "the stack state holds no private key in plain text" bash -c "! grep -q 'PRIVATE KEY' '$WORK/state.json'"

# --- 2. idempotent -------------------------------------------------------------------------------------
t0=$(now)
check "a second up reports no changes" up --expect-no-changes
info "no-op up took $(since "$t0")s"
# The preview summary dates each certificate from the state: lab1's etcd server certificate as lab1 holds it.
check "the preview summary, given the stack's state, has the certificates' expiry" bash -c "pulumi preview --stack $STACK --json --non-interactive >'$WORK/preview.json' && node '$ROOT/scripts/preview-summary.js' '$WORK/preview.json' '$WORK/state.json' >'$WORK/summary.md' && grep -q '^#### Certificates' '$WORK/summary.md'"
not_after=$(date -u -d "$(on "${HOSTS[0]}" cat /etc/etcd/pki/server.crt | openssl x509 -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%S)
verdict "and dates pki-etcd-server-${HOSTS[0]} as the certificate on ${HOSTS[0]} does ($not_after)" grep -q "^| \`pki-etcd-server-${HOSTS[0]}\` | $not_after" "$WORK/summary.md"

# --- 3. a changed etcd setting rolls the members one by one under writes -------------------------------
before=()
for h in "${HOSTS[@]}"; do before+=("$(member_started_at "$h")"); done
start_writer
pulumi config set --path etcd.snapshotCount "$(($(pulumi config get --path etcd.snapshotCount --stack "$STACK" 2>/dev/null || echo 10000) + 1000))" --stack "$STACK" >>"$LOG"
check "preview of the change updates exactly the 3 member steps" bash -c "pulumi preview --json --stack $STACK | node -e '
  const steps = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")).steps.filter((s) => s.op !== \"same\");
  const names = steps.map((s) => s.op + \" \" + s.urn.split(\"::\").pop()).sort();
  console.log(names.join(\"\\n\"));
  process.exit(names.join() === \"update etcd-lab1-member,update etcd-lab2-member,update etcd-lab3-member\" ? 0 : 1);'"
check "up rolls the change" up
stop_writer
after=()
for h in "${HOSTS[@]}"; do after+=("$(member_started_at "$h")"); done
verdict "every member restarted" test "${after[0]}" -gt "${before[0]}" -a "${after[1]}" -gt "${before[1]}" -a "${after[2]}" -gt "${before[2]}"
verdict "members restarted one at a time, in order" test "${after[0]}" -lt "${after[1]}" -a "${after[1]}" -lt "${after[2]}"
verdict "a writer through the VIP saw no failed write during the roll ($(wc -l <"$WORK/write-failures") failures)" test ! -s "$WORK/write-failures"
check "no changes after the roll" up --expect-no-changes

# --- 4. failover ----------------------------------------------------------------------------------------
start_writer
holder=$(vip_holder "$VIP")
verdict "one host holds the VIP ($holder)" test -n "$holder"
on "$holder" systemctl stop keepalived
sleep 4
moved=$(vip_holder "$VIP")
verdict "stopping keepalived on $holder moves the VIP (now ${moved:-nowhere})" test -n "$moved" -a "$moved" != "$holder"
on "$holder" systemctl start keepalived
on "${HOSTS[1]}" systemctl stop etcd
check "with ${HOSTS[1]}'s etcd stopped, a write through the VIP succeeds" ectl put failover/key value
sleep 2
stop_writer
verdict "writes went on through both failovers ($(wc -l <"$WORK/write-failures") failed)" test "$(wc -l <"$WORK/write-failures")" -le 3
check "pulumi up afterwards succeeds" up
converged() { for ((i = 0; i < 25; i++)); do ectl endpoint health --cluster && return 0; sleep 2; done; return 1; }
check "and the cluster converges: the stopped member is started again, every member healthy" converged

# --- 5. a wrong artifact checksum fails clearly and leaves etcd running ---------------------------------
good_sha=$(pulumi config get --path artifacts.etcd.sha256 --stack "$STACK")
pulumi config set --path artifacts.etcd.sha256 "$(printf '0%.0s' {1..64})" --stack "$STACK" >>"$LOG"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/bad-up.log" 2>&1; then bad "up with a wrong checksum fails"; else ok "up with a wrong checksum fails"; fi
cat "$WORK/bad-up.log" >>"$LOG"
verdict "with one clear line naming the artifact" grep -q "onprem-k8s: install etcd on lab1: checksum mismatch for etcd: expected 0000" "$WORK/bad-up.log"
check "etcd keeps running on the previous binary" ectl endpoint health --cluster
pulumi config set --path artifacts.etcd.sha256 "$good_sha" --stack "$STACK" >>"$LOG"
check "fixing the config converges" up
check "and then nothing changes" up --expect-no-changes

# --- 5b. the air-gapped form: the same release uploaded from a local path --------------------------------
started=$(member_started_at "${HOSTS[0]}")
pulumi config rm --path artifacts.etcd.url --stack "$STACK" >>"$LOG"
pulumi config set --path artifacts.etcd.path "$(ls "$LAB_DIR"/mirror/artifacts/etcd-*.tar.gz)" --stack "$STACK" >>"$LOG"
check "switching the etcd artifact to an upload from a local path converges" up
verdict "the uploaded release has the same checksum, so no member restarted" test "$(member_started_at "${HOSTS[0]}")" = "$started"
check "and then nothing changes" up --expect-no-changes

# --- 5c. a failing host step shows its one-line reason, and no secret ----------------------------------------
# The member step gets the member's keys on its secret stdin; its script is plain, so its reason can be shown.
on "${HOSTS[0]}" mv /usr/local/bin/etcd /usr/local/bin/etcd.away
pulumi config set --path etcd.snapshotCount "$(($(pulumi config get --path etcd.snapshotCount --stack "$STACK") + 1000))" --stack "$STACK" >>"$LOG"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/failed-step.log" 2>&1; then bad "up with etcd missing on ${HOSTS[0]} fails"; else ok "up with etcd missing on ${HOSTS[0]} fails"; fi
cat "$WORK/failed-step.log" >>"$LOG"
verdict "the failure shows the step's own line" grep -q "onprem-k8s: etcd member ${HOSTS[0]} on ${HOSTS[0]}: etcd is not installed" "$WORK/failed-step.log"
verdict "and not that the command and output are secret" bash -c "! grep -q 'command and output are secret' '$WORK/failed-step.log'"
member_key_line=$(on "${HOSTS[0]}" sed -n 2p /etc/etcd/pki/server.key)
verdict "and no line of the member's key" bash -c "[[ -n '$member_key_line' ]] && ! grep -qF -- '$member_key_line' '$WORK/failed-step.log' && ! grep -q 'PRIVATE KEY' '$WORK/failed-step.log'"
on "${HOSTS[0]}" mv /usr/local/bin/etcd.away /usr/local/bin/etcd
check "with etcd back, the next up converges" up
check "and then nothing changes" up --expect-no-changes

# --- 5d. a host that answers with another SSH key gets nothing -------------------------------------------
# lab1's pinned key becomes lab2's, as if another machine held lab1's address; a changed setting would re-run lab1's
# member step, with the member's keys on its stdin.
own_key=$(pulumi config get --path 'hosts[0].sshHostKey' --stack "$STACK")
other_key=$(pulumi config get --path 'hosts[1].sshHostKey' --stack "$STACK")
fingerprint() { ssh-keygen -lf /dev/stdin <<<"$1" | awk '{print $2}'; }
conf_before=$(on "${HOSTS[0]}" sha256sum /etc/etcd/etcd.conf.yml)
pulumi config set --path 'hosts[0].sshHostKey' "$other_key" --stack "$STACK" >>"$LOG"
pulumi config set --path etcd.snapshotCount "$(($(pulumi config get --path etcd.snapshotCount --stack "$STACK") + 1000))" --stack "$STACK" >>"$LOG"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/host-key.log" 2>&1; then bad "up with another host key pinned for ${HOSTS[0]} fails"; else ok "up with another host key pinned for ${HOSTS[0]} fails"; fi
cat "$WORK/host-key.log" >>"$LOG"
address=$(pulumi config get --path 'hosts[0].address' --stack "$STACK")
verdict "the failure names ${HOSTS[0]}'s address, the key it offered and the pinned one" \
  grep -qF "host key mismatch: $address:22 answered with ssh-ed25519 $(fingerprint "$own_key"), not the pinned ssh-ed25519 $(fingerprint "$other_key"); nothing was sent to it" "$WORK/host-key.log"
verdict "and ${HOSTS[0]}'s member step never ran: its etcd.conf.yml is unchanged" test "$(on "${HOSTS[0]}" sha256sum /etc/etcd/etcd.conf.yml)" = "$conf_before"
pulumi config set --path 'hosts[0].sshHostKey' "$own_key" --stack "$STACK" >>"$LOG"
check "with ${HOSTS[0]}'s own key pinned again, the next up converges" up
verdict "and rolls the setting onto ${HOSTS[0]}" test "$(on "${HOSTS[0]}" sha256sum /etc/etcd/etcd.conf.yml)" != "$conf_before"
check "and then nothing changes" up --expect-no-changes

# --- 6. backups -----------------------------------------------------------------------------------------
for ((i = 0; i < 40; i++)); do
  snapshot=$(on "${HOSTS[0]}" "ls -1 /var/backups/etcd/snapshot-*.db 2>/dev/null | tail -n 1" || true)
  [[ -n $snapshot ]] && break
  sleep 3
done
verdict "the backup timer wrote a snapshot (${snapshot:-none})" test -n "$snapshot"
check "etcdctl snapshot status accepts it" on "${HOSTS[0]}" etcdctl snapshot status "$snapshot"

# --- 6b. restore drill: every member loses its data, and etcd.restore brings the cluster back --------------
k() { "$KUBE_BIN/kubectl" --kubeconfig "$WORK/admin.conf" --request-timeout=5s "$@"; }
uid_of() { k get "$@" -o jsonpath='{.metadata.uid}'; }
drill_uids() { echo "$(uid_of namespace kube-system) $(uid_of namespace restore-drill) $(uid_of -n restore-drill secret drill)"; }
drill_value=drill-$RANDOM$RANDOM
make_drill_objects() { k create namespace restore-drill && k -n restore-drill create secret generic drill --from-literal=value="$drill_value"; }
check "a namespace and a Secret to keep" make_drill_objects
before_uids=$(drill_uids)
cluster_id() { ectl endpoint status -w json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].Status.header.cluster_id)'; }
before_cluster=$(cluster_id)
check "a snapshot by the backup service" on "${HOSTS[0]}" systemctl start etcd-backup.service
drill_snapshot=$(on "${HOSTS[0]}" "ls -1 /var/backups/etcd/snapshot-*.db | tail -n 1")
check "a namespace made after the snapshot" k create namespace after-snapshot
loss=$(now)
for h in "${HOSTS[@]}"; do on "$h" "systemctl stop etcd-ensure.timer etcd && rm -rf /var/lib/etcd"; done
verdict "with every member's data gone the API is not ready" bash -c "! '$KUBE_BIN/kubectl' --kubeconfig '$WORK/admin.conf' --request-timeout=5s get --raw /readyz >/dev/null 2>&1"
{
  pulumi config set --path etcd.restore.id drill-1 --stack "$STACK"
  pulumi config set --path etcd.restore.snapshot.member "${HOSTS[0]}" --stack "$STACK"
  pulumi config set --path etcd.restore.snapshot.file "$drill_snapshot" --stack "$STACK"
} >>"$LOG"
pulumi preview --stack "$STACK" --non-interactive >"$WORK/restore-preview.log" 2>&1 || true
cat "$WORK/restore-preview.log" >>"$LOG"
verdict "the preview says loudly that the cluster rolls back to the snapshot" grep -q "etcd.restore drill-1 is set: the first up with this id ROLLS THE WHOLE CLUSTER BACK to the snapshot $drill_snapshot on ${HOSTS[0]}" "$WORK/restore-preview.log"
preview_changes >"$WORK/restore-changes" 2>>"$LOG" || true
verdict "and creates only the restore's steps ($(wc -l <"$WORK/restore-changes") changes)" bash -c "test -s '$WORK/restore-changes' && ! grep -v ' etcd-restore-drill-1' '$WORK/restore-changes'"
check "up with etcd.restore restores the cluster" up
info "restore: $(since "$loss")s from the loss of the data to the end of the up"
check "the API is ready through the VIP" k get --raw /readyz
verdict "kube-system's, the namespace's and the Secret's UIDs are the recorded ones" test "$(drill_uids)" = "$before_uids"
verdict "the Secret's value is the recorded one" test "$(k -n restore-drill get secret drill -o jsonpath='{.data.value}' | base64 -d)" = "$drill_value"
verdict "the namespace made after the snapshot is gone" bash -c "'$KUBE_BIN/kubectl' --kubeconfig '$WORK/admin.conf' get namespace after-snapshot 2>&1 | grep -q NotFound"
verdict "the cluster has 3 members again" test "$(ectl member list | wc -l)" -eq 3
check "every member is healthy" ectl endpoint health --cluster
verdict "under a new cluster ID" test "$(cluster_id)" != "$before_cluster"
check "a second up with the same restore id changes nothing" up --expect-no-changes
pulumi config rm --path etcd.restore --stack "$STACK" >>"$LOG"
check "removing etcd.restore converges" up
no_restore_files() { for h in "${HOSTS[@]}"; do on "$h" test ! -e /var/lib/etcd-restore/drill-1 || return 1; done; }
verdict "and removes the staged snapshots and the replaced data" no_restore_files
check "and then nothing changes" up --expect-no-changes

# --- 6c. Secrets-encryption key rotation under reads through the API VIP --------------------------------------
key_name() { printf 'key-%s' "$(printf '%s' "$1" | sha256sum | cut -c1-8)"; }
old_key=$(pulumi config get secretsEncryptionKey --stack "$STACK")
new_key=$(head -c 32 /dev/urandom | base64)
# Reads the drill's Secret through the API VIP every 200 ms until stopped (at most 10 minutes); one line per failure.
start_secret_reader() {
  : >"$WORK/read-failures"
  (for ((i = 0; i < 3000; i++)); do
    [[ $(k -n restore-drill get secret drill -o jsonpath='{.data.value}' 2>&1) == "$(printf '%s' "$drill_value" | base64)" ]] || echo "read $i failed at $(date +%T.%N)" >>"$WORK/read-failures"
    sleep 0.2
  done) &
  background_pid=$!
}
stop_secret_reader() { kill "$background_pid" 2>/dev/null; wait "$background_pid" 2>/dev/null || true; background_pid=; }
# Every Secret in etcd, read straight from it: its prefix up to the key's name, and how many carry it.
secret_prefixes() { ectl get /registry/secrets/ --prefix -w json | node -e '
  const kvs = JSON.parse(require("fs").readFileSync(0, "utf8")).kvs ?? [];
  const prefixes = kvs.map((kv) => Buffer.from(kv.value, "base64").toString("latin1").split(":").slice(0, 5).join(":"));
  const counts = {};
  for (const p of prefixes) counts[p] = (counts[p] ?? 0) + 1;
  console.log(Object.entries(counts).map(([p, n]) => n + " " + p).join("\n"));'; }
enc_names_on() { on "$1" "sed -n 's/^ *- name: \(key-[0-9a-f]*\)$/\1/p' /etc/kubernetes/encryption-config.yaml | paste -sd' '"; }

# A new key without the old one would leave every Secret unreadable: the first master's step refuses it.
pulumi config set --secret secretsEncryptionKey "$new_key" --stack "$STACK" >>"$LOG"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/swap.log" 2>&1; then bad "up with a new key and no old key fails"; else ok "up with a new key and no old key fails"; fi
cat "$WORK/swap.log" >>"$LOG"
verdict "at ${HOSTS[0]}, saying how to rotate" grep -q "onprem-k8s: control plane ${HOSTS[0]} on ${HOSTS[0]}: Secrets are encrypted with $(key_name "$old_key"), which the new encryption config ($(key_name "$new_key")) leaves out; to rotate the key, set secretsEncryptionOldKey" "$WORK/swap.log"
verdict "and no master's config changed" test "$(enc_names_on "${HOSTS[0]}")" = "$(key_name "$old_key")"

pulumi config set --secret secretsEncryptionOldKey "$old_key" --stack "$STACK" >>"$LOG"
start_secret_reader
t0=$(now)
check "up with the new key and the old one rotates the key" up
info "rotation: $(since "$t0")s"
every_master_has() { for h in "${HOSTS[@]}"; do [[ $(enc_names_on "$h") == "$1" ]] || return 1; done; }
verdict "every master encrypts with the new key and still reads the old one" every_master_has "$(key_name "$new_key") $(key_name "$old_key")"
secret_prefixes >"$WORK/prefixes" 2>>"$LOG"
cat "$WORK/prefixes" >>"$LOG"
verdict "every Secret read straight from etcd carries the new key's prefix ($(paste -sd';' "$WORK/prefixes"))" bash -c "test -s '$WORK/prefixes' && ! grep -v ' k8s:enc:secretbox:v1:$(key_name "$new_key")$' '$WORK/prefixes'"
pulumi config rm secretsEncryptionOldKey --stack "$STACK" >>"$LOG"
check "removing the old key converges" up
stop_secret_reader
verdict "every master's apiserver has only the new key" every_master_has "$(key_name "$new_key")"
verdict "a reader of a Secret through the API VIP every 200 ms saw no failure during both ups ($(wc -l <"$WORK/read-failures") failed)" test ! -s "$WORK/read-failures"
check "and then nothing changes" up --expect-no-changes

# --- 6d. membership: 3 to 5 members and back under writes, and a change that would lose the quorum -----------
member_names() { ectl member list -w simple | awk -F', ' '{print $3}' | LC_ALL=C sort | paste -sd' '; }
cp "$ROOT/Pulumi.lab.yaml" "$WORK/three-members.yaml"
count=$(pulumi config get hosts --json --stack "$STACK" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).objectValue.length)')
for ((i = 0; i < ${#SPARE[@]}; i++)); do
  {
    pulumi config set --path "hosts[$((count + i))].name" "${SPARE[i]}" --stack "$STACK"
    pulumi config set --path "hosts[$((count + i))].address" "$(host_addr "${SPARE[i]}")" --stack "$STACK"
    pulumi config set --path "hosts[$((count + i))].roles[0]" etcd --stack "$STACK"
    # The host's own key, read from its file system, as scripts/lab/stack-config.sh pins the others.
    read -r type key _ <"$(host_dir "${SPARE[i]}")/root/etc/ssh/ssh_host_ed25519_key.pub"
    pulumi config set --path "hosts[$((count + i))].sshHostKey" "$type $key" --stack "$STACK"
  } >>"$LOG"
done
start_writer
t0=$(now)
check "up grows etcd from 3 to 5 members (${SPARE[*]} join)" up
info "growing to 5 members: $(since "$t0")s"
stop_writer
verdict "a writer through the VIP every 100 ms saw no failed write ($(wc -l <"$WORK/write-failures") failures)" test ! -s "$WORK/write-failures"
verdict "member list is the config's 5 members ($(member_names))" test "$(member_names)" = "$(printf '%s\n' "${HOSTS[@]}" "${SPARE[@]}" | LC_ALL=C sort | paste -sd' ')"
check "every member is healthy" ectl endpoint health --cluster
check "and then nothing changes" up --expect-no-changes

cp "$ROOT/Pulumi.lab.yaml" "$WORK/five-members.yaml"
cp "$WORK/three-members.yaml" "$ROOT/Pulumi.lab.yaml"
start_writer
t0=$(now)
check "up shrinks etcd from 5 members back to 3 (${SPARE[*]} leave)" up
info "shrinking to 3 members: $(since "$t0")s"
stop_writer
verdict "a writer through the VIP every 100 ms saw no failed write ($(wc -l <"$WORK/write-failures") failures)" test ! -s "$WORK/write-failures"
verdict "member list is the config's 3 members ($(member_names))" test "$(member_names)" = "${HOSTS[*]}"
check "every member is healthy" ectl endpoint health --cluster
for h in "${SPARE[@]}"; do verdict "$h runs no etcd and holds no etcd data" on "$h" "! systemctl is-active --quiet etcd && test ! -e /var/lib/etcd"; done
check "and then nothing changes" up --expect-no-changes

# Two of three members leaving at once would lose the quorum: the first member's step refuses, before any change.
on "${HOSTS[0]}" sha256sum /etc/etcd/etcd.conf.yml >"$WORK/conf-before"
for i in 1 2; do pulumi config rm --path "hosts[$i].roles[0]" --stack "$STACK" >>"$LOG"; done
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/quorum.log" 2>&1; then bad "up removing two of three members fails"; else ok "up removing two of three members fails"; fi
cat "$WORK/quorum.log" >>"$LOG"
verdict "at ${HOSTS[0]}, saying how to do it in steps" grep -q "onprem-k8s: etcd member ${HOSTS[0]} on ${HOSTS[0]}: removing ${HOSTS[1]} ${HOSTS[2]} at once would leave 1 of 3 etcd members, less than a quorum of 2; remove at most 1 per up" "$WORK/quorum.log"
verdict "and nothing changed: 3 members, ${HOSTS[0]}'s config as it was" test "$(member_names)" = "${HOSTS[*]}" -a "$(on "${HOSTS[0]}" sha256sum /etc/etcd/etcd.conf.yml)" = "$(cat "$WORK/conf-before")"
cp "$WORK/three-members.yaml" "$ROOT/Pulumi.lab.yaml"
check "with the members back in the config, nothing changes" up --expect-no-changes

# --- 7. hosts that hold another cluster ---------------------------------------------------------------
# The state is lost; the hosts keep the cluster. To a new state, with its new CA, it is another cluster.
{
  pulumi config rm --path artifacts.etcd.path --stack "$STACK"
  pulumi stack rm --yes --force --preserve-config "$STACK"
  "$LABS/stack-config.sh"
} >>"$LOG" 2>&1
t0=$(now)
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/foreign-up.log" 2>&1; then bad "up onto hosts that hold another cluster fails"; else ok "up onto hosts that hold another cluster fails"; fi
info "it failed after $(since "$t0")s"
cat "$WORK/foreign-up.log" >>"$LOG"
verdict "at the preflight, with one line naming the host, what it holds and the fix" grep -q "onprem-k8s: preflight on ${HOSTS[0]} on ${HOSTS[0]}: holds an etcd member of another cluster (/etc/etcd/pki/ca.crt is another CA, sha256 [0-9a-f]*); if nothing on it is needed, wipe it with 'bash scripts/reset.sh --stack $STACK --yes'" "$WORK/foreign-up.log"
verdict "before any member step ran" bash -c "! grep -q 'etcd-lab[0-9]-member' '$WORK/foreign-up.log'"
check "the other cluster still runs, untouched" ectl endpoint health --cluster
if bash scripts/reset.sh --stack "$STACK" >"$WORK/reset-refused.log" 2>&1; then bad "reset without --yes refuses"; else ok "reset without --yes refuses"; fi
verdict "and says how to confirm" grep -q "refusing without --yes: bash scripts/reset.sh --stack $STACK --yes" "$WORK/reset-refused.log"
check "and touched nothing" ectl endpoint health --cluster
# The main job knows the lab is the project's: it resets hosts that hold a cluster its state does not know.
if bash scripts/main.sh >"$WORK/main.log" 2>&1; then ok "the main job onto lab hosts that hold another cluster ends green"; else bad "the main job onto lab hosts that hold another cluster ends green"; fi
cat "$WORK/main.log" >>"$LOG"
verdict "after saying it reset them" grep -q "hold a cluster that this clone's lab stack does not know" "$WORK/main.log"
pulumi stack output etcdCaCert --stack "$STACK" >"$WORK/ca.crt"
pulumi stack output etcdClientCert --stack "$STACK" >"$WORK/client.crt"
(umask 077 && pulumi stack output etcdClientKey --show-secrets --stack "$STACK" >"$WORK/client.key")
check "the new cluster answers healthy with the new CA" ectl endpoint health --cluster
verdict "its cluster token names the cluster and its CA" on "${HOSTS[0]}" grep -qE '^initial-cluster-token: lab-etcd-[0-9a-f]{12}$' /etc/etcd/etcd.conf.yml

# --- 8. destroy -----------------------------------------------------------------------------------------
check "pulumi destroy" pulumi destroy --yes --skip-preview --stack "$STACK" --non-interactive
for h in "${HOSTS[@]}"; do
  verdict "$h: no etcd, etcd data or load balancer config left" on "$h" "! systemctl is-active --quiet etcd && test ! -e /usr/local/bin/etcd -a ! -e /var/lib/etcd -a ! -e /etc/keepalived/keepalived.conf"
done
check "a reset of bare hosts does nothing and succeeds" bash scripts/reset.sh --stack "$STACK" --yes
