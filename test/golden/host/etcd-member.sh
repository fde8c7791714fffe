#!/usr/bin/env bash
set -euo pipefail
STEP='etcd member lab1'
# shellcheck disable=SC2034 # as below
CHANGED=0
CHANGED_FILES=()
fail() { echo "onprem-k8s: $STEP on $(hostname): $*" >&2; exit 1; }
# shellcheck disable=SC2034 # CHANGED is read by the steps that restart on change
put_file() {
  local dest=$1 mode=$2 new
  mkdir -p "$(dirname "$dest")"
  new=$(mktemp "$dest.new.XXXXXX")
  cat >"$new"
  chmod "$mode" "$new"
  if [[ -f $dest ]] && cmp -s "$new" "$dest"; then rm -f "$new"; return 0; fi
  if [[ -f $dest ]]; then cp -p "$dest" "$dest.bak"; else rm -f "$dest.bak"; fi
  mv -f "$new" "$dest"
  CHANGED=1
  CHANGED_FILES+=("$dest")
}
restore_files() {
  local dest
  for dest in "${CHANGED_FILES[@]}"; do
    if [[ -f $dest.bak ]]; then mv -f "$dest.bak" "$dest"; else rm -f "$dest"; fi
  done
}
retry() {
  local times=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= times; i++)); do
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}

SECRETS=$(umask 077 && mktemp -d /run/onprem-k8s-secrets.XXXXXX)
trap 'rm -rf "$SECRETS"' EXIT
secret_name=
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line == "@@secret "* ]]; then
    secret_name=${line#"@@secret "}
    : >"$SECRETS/$secret_name"
  elif [[ -n $secret_name ]]; then
    printf '%s\n' "$line" >>"$SECRETS/$secret_name"
  fi
done

command -v etcd >/dev/null || fail "etcd is not installed"
# A change of members that would lose the cluster's quorum stops here, before any file changes: the members that
# stay must be a quorum of the cluster as it is.
if [[ -f /etc/etcd/pki/server.crt ]] && current=$(etcdctl --endpoints=https://172.31.250.11:2379,https://172.31.250.12:2379,https://172.31.250.13:2379,https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s member list -w simple 2>/dev/null); then
  wanted=" https://172.31.250.11:2380 https://172.31.250.12:2380 https://172.31.250.13:2380 "
  total=0 kept=0 leaving=()
  while IFS=', ' read -r _ _ name url _; do
    total=$((total + 1))
    if [[ $wanted == *" $url "* ]]; then kept=$((kept + 1)); else leaving+=("${name:-$url}"); fi
  done < <(sort -t, -k3,3 <<<"$current")
  if ((kept < total / 2 + 1)); then
    fail "removing ${leaving[*]} at once would leave $kept of $total etcd members, less than a quorum of $((total / 2 + 1)); remove at most $(((total - 1) / 2)) per up, e.g. one member per up, each up after the last one ended well"
  fi
fi
put_file /etc/etcd/pki/ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/etcd/pki/server.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/etcd/pki/server.key 0600 <"$SECRETS/server.key"
put_file /etc/etcd/pki/peer.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/etcd/pki/peer.key 0600 <"$SECRETS/peer.key"
put_file /etc/etcd/etcd.conf.yml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
name: lab1
data-dir: /var/lib/etcd
listen-peer-urls: https://172.31.250.11:2380
# Not 0.0.0.0: a load balancer may bind the VIP's port 2379 on this host.
listen-client-urls: https://172.31.250.11:2379,https://127.0.0.1:2379
initial-advertise-peer-urls: https://172.31.250.11:2380
advertise-client-urls: https://172.31.250.11:2379
initial-cluster: lab1=https://172.31.250.11:2380,lab2=https://172.31.250.12:2380,lab3=https://172.31.250.13:2380
initial-cluster-state: new
initial-cluster-token: lab-etcd
heartbeat-interval: 100
election-timeout: 1000
snapshot-count: 10000
quota-backend-bytes: 2147483648
client-transport-security:
  cert-file: /etc/etcd/pki/server.crt
  key-file: /etc/etcd/pki/server.key
  trusted-ca-file: /etc/etcd/pki/ca.crt
  client-cert-auth: true
peer-transport-security:
  cert-file: /etc/etcd/pki/peer.crt
  key-file: /etc/etcd/pki/peer.key
  trusted-ca-file: /etc/etcd/pki/ca.crt
  client-cert-auth: true
ONPREM_K8S_EOF
put_file /etc/systemd/system/etcd.service 0644 <<'ONPREM_K8S_EOF'
# etcd release aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
[Unit]
Description=etcd key-value store (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
ExecStart=/usr/local/bin/etcd --config-file /etc/etcd/etcd.conf.yml
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
put_file /etc/systemd/system/etcd-ensure.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Start etcd again if it was stopped (onprem-k8s; mask etcd to keep it down)

[Service]
Type=oneshot
# Only when etcd is down: a start job would cancel a stop in progress (with apiservers connected, a stop takes seconds).
ExecStart=/bin/sh -c 'case $$(systemctl is-active etcd) in inactive|failed) systemctl start --no-block etcd.service ;; esac'
ONPREM_K8S_EOF
put_file /etc/systemd/system/etcd-ensure.timer 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Keep etcd running (onprem-k8s)

[Timer]
OnActiveSec=30s
OnUnitActiveSec=30s

[Install]
WantedBy=timers.target
ONPREM_K8S_EOF
local_etcdctl() { etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s "$@"; }
since=$(date +%s)
known_failure() {
  { printf '%s\n' "$1"; journalctl -u etcd --since "@$since" -o cat --no-pager 2>/dev/null; } | grep -m 1 -o -E 'certificate signed by unknown authority|remote error: tls: bad certificate|cluster ID mismatch|member count is unequal' || true
}
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
  fail "member lab1 is not healthy after the change: $1; its previous files are restored"
}
systemctl daemon-reload
systemctl enable --quiet etcd etcd-ensure.timer
systemctl start etcd-ensure.timer
if ! systemctl is-active --quiet etcd; then
  if [[ ! -d /var/lib/etcd/member ]]; then
    members=$(etcdctl --endpoints=https://172.31.250.12:2379,https://172.31.250.13:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s member list -w simple 2>/dev/null) || members=
    if [[ -z $members ]]; then
      # No other member answers with a quorum: this one starts a new cluster with them (initial-cluster-state new).
      systemctl start --no-block etcd
      echo "etcd lab1: started a new member"
      exit 0
    fi
    # A cluster runs: this member joins it. One listed with client URLs ran before and lost its data, so it is replaced;
    # one without never ran (a member of the first start, or one a failed join added).
    IFS=', ' read -r old_id _ _ _ old_client_urls _ < <(grep -F ", https://172.31.250.11:2380," <<<"$members") || old_id=
    # join_failed WHY: the member this step added leaves the cluster again and its files go, so the cluster keeps its
    # fault tolerance and a later up starts from a host without them.
    added_id=
    join_failed() {
      if [[ -n $added_id ]]; then others_etcdctl member remove "$added_id" >/dev/null 2>&1 || true; fi
      restore_files
      systemctl daemon-reload
      fail "lab1 did not join the cluster: $1; its files are removed"
    }
    # etcd refuses a change of members until every member has been connected for a few seconds (strict reconfig
    # check), as after the rolling restart that put the new member in the others' config.
    others_etcdctl() { etcdctl --endpoints=https://172.31.250.12:2379,https://172.31.250.13:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s "$@"; }
    if [[ -n $old_id && -n $old_client_urls ]]; then
      retry 15 2 others_etcdctl member remove "$old_id" >/dev/null || join_failed "member remove $old_id (https://172.31.250.11:2380, which lost its data) failed"
      old_id=
    fi
    # add_self: a member add, unless an earlier try went through after all.
    add_self() {
      others_etcdctl member list -w simple | grep -qF ", https://172.31.250.11:2380," || others_etcdctl member add lab1 --peer-urls=https://172.31.250.11:2380 >/dev/null
    }
    if [[ -z $old_id ]]; then
      retry 15 2 add_self 2>/dev/null || join_failed "member add failed: $(add_self 2>&1 | tail -n 1)"
    fi
    members=$(others_etcdctl member list -w simple) || join_failed "the cluster stopped answering"
    [[ -n $old_id ]] || IFS=', ' read -r added_id _ < <(grep -F ", https://172.31.250.11:2380," <<<"$members")
    # The cluster as it is now, this member (nameless until it first starts, if it joins now) by its own name.
    initial=$(awk -F', ' -v self=https://172.31.250.11:2380 '{ printf "%s%s=%s", (NR > 1 ? "," : ""), ($4 == self ? "lab1" : $3), $4 }' <<<"$members")
    sed -i -e "s|^initial-cluster: .*|initial-cluster: $initial|" -e "s|^initial-cluster-state: new$|initial-cluster-state: existing|" /etc/etcd/etcd.conf.yml
    systemctl start --no-block etcd
    if ! retry 30 2 healthy; then
      systemctl stop etcd
      join_failed "not healthy within 60 s: $(journalctl -u etcd -n 2 -o cat --no-pager | tr '\n' ' ')"
    fi
    echo "etcd lab1: joined the cluster ($initial)"
    exit 0
  fi
  systemctl start etcd || true
elif [[ $CHANGED == 1 ]]; then
  # A leader hands over first, so clients see no election while it restarts.
  self_id='' is_leader=false
  IFS=, read -r _ self_id _ _ is_leader _ < <(local_etcdctl endpoint status -w simple | tr -d ' ') || true
  if [[ $is_leader == true ]]; then
    successor=$(local_etcdctl member list -w simple | tr -d ' ' | awk -F, -v self="$self_id" '$1 != self && $2 == "started" {print $1; exit}')
    if [[ -n $successor ]]; then local_etcdctl move-leader "$successor" >/dev/null || true; fi
  fi
  systemctl restart etcd || true
else
  echo "etcd lab1: unchanged"
  exit 0
fi
retry 30 2 healthy || give_up_on_member "no answer within 60 s"
echo "etcd lab1: healthy"
