#!/usr/bin/env bash
set -euo pipefail
STEP='load balancer config'
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

iface=$(ip -o -4 addr show | awk -v a=172.31.250.11 '{split($4, p, "/")} p[1] == a {print $2; exit}')
[[ -n $iface ]] || fail "no interface has address 172.31.250.11"
put_file /etc/haproxy/haproxy.cfg 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
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
# Rendered by onprem-k8s; changes here are overwritten.
global_defs {
    router_id lab1
    enable_script_security
    script_user root
}

vrrp_script chk_haproxy {
    script "/usr/bin/systemctl is-active --quiet haproxy"
    interval 1
    fall 2
    rise 2
}

vrrp_instance etcd {
    state BACKUP
    interface @INTERFACE@
    virtual_router_id 71
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
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
}
ONPREM_K8S_EOF
)
put_file /etc/keepalived/keepalived.conf 0600 <<<"${keepalived_conf//@INTERFACE@/$iface}"
keepalived_changed=$CHANGED
if ! haproxy -c -q -f /etc/haproxy/haproxy.cfg; then restore_files; fail "haproxy rejected the new config; the previous one is restored"; fi
if ! keepalived -t -f /etc/keepalived/keepalived.conf 2>/dev/null; then restore_files; fail "keepalived rejected the new config; the previous one is restored"; fi
systemctl enable --quiet haproxy keepalived
if [[ $haproxy_changed == 1 ]]; then systemctl reload-or-restart haproxy; else systemctl start haproxy; fi
if [[ $keepalived_changed == 1 ]]; then systemctl restart keepalived; else systemctl start keepalived; fi
systemctl is-active --quiet haproxy || fail "haproxy is not running"
systemctl is-active --quiet keepalived || fail "keepalived is not running"
echo "load balancer on $iface: haproxy and keepalived running"
