#!/usr/bin/env bash
set -euo pipefail
STEP='load balancer etcd'
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

exec 9>/run/onprem-k8s-lb.lock
flock 9
iface=$(ip -o -4 addr show | awk -v a=172.31.250.11 '{split($4, p, "/")} p[1] == a {print $2; exit}')
[[ -n $iface ]] || fail "no interface has address 172.31.250.11"
put_file /etc/haproxy/conf.d/50-etcd.cfg 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s for load balancer etcd; changes here are overwritten.
frontend etcd-2379
    bind 172.31.250.100:2379
    default_backend etcd-2379

backend etcd-2379
    balance roundrobin
    option tcp-check
    default-server inter 1s fall 2 rise 2
    server lab1 172.31.250.11:2379 check
    server lab2 172.31.250.12:2379 check
    server lab3 172.31.250.13:2379 check
ONPREM_K8S_EOF
haproxy_changed=$CHANGED
CHANGED=0
keepalived_conf=$(cat <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s for load balancer etcd; changes here are overwritten.
vrrp_instance etcd {
    state BACKUP
    interface @INTERFACE@
    virtual_router_id 71
    priority 150
    # A recovered host leaves the VIP where it is: every move resets the connections held through it.
    nopreempt
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass @AUTH_PASS@
    }
    unicast_src_ip 172.31.250.11
    unicast_peer {
        172.31.250.12
        172.31.250.13
    }
    virtual_ipaddress {
        172.31.250.100/24 dev @INTERFACE@
    }
    track_script {
        chk_haproxy
    }
    notify /etc/keepalived/onprem-notify.sh
}
ONPREM_K8S_EOF
)
keepalived_conf=${keepalived_conf//@INTERFACE@/$iface}
put_file /etc/keepalived/conf.d/etcd.conf 0600 <<<"${keepalived_conf//@AUTH_PASS@/$(<"$SECRETS/vrrp-password")}"
keepalived_changed=$CHANGED
if ! haproxy -c -q -f /etc/haproxy/conf.d; then restore_files; fail "haproxy rejected the new config; the previous one is restored"; fi
if ! keepalived -t -f /etc/keepalived/keepalived.conf 2>/dev/null; then restore_files; fail "keepalived rejected the new config; the previous one is restored"; fi
systemctl enable --quiet haproxy keepalived prometheus-node-exporter
# A reload keeps the command line, so an haproxy started before conf.d existed (by apt) needs a restart.
if ! tr '\0' ' ' <"/proc/$(systemctl show -p MainPID --value haproxy)/cmdline" 2>/dev/null | grep -q -- "-f /etc/haproxy/conf.d "; then
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
if [[ $(ip -o -4 addr show dev "$iface") == *" 172.31.250.100/"* ]]; then vrrp_state=MASTER; else vrrp_state=BACKUP; fi
ONPREM_IF_ABSENT=1 /etc/keepalived/onprem-notify.sh INSTANCE etcd "$vrrp_state"
echo "load balancer etcd on $iface: haproxy and keepalived running"
