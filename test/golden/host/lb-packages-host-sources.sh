#!/usr/bin/env bash
set -euo pipefail
STEP='install haproxy and keepalived'
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

exec 9>/run/onprem-k8s-lb.lock
flock 9
if ! dpkg -s haproxy keepalived prometheus-node-exporter >/dev/null 2>&1; then
apt-get update -qq || fail "apt-get update failed"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy keepalived prometheus-node-exporter >/dev/null || fail "cannot install haproxy, keepalived and prometheus-node-exporter"
fi
# haproxy binds the VIP on the backup too, before keepalived moves it there.
put_file /etc/sysctl.d/60-onprem-k8s-lb.conf 0644 <<'ONPREM_K8S_EOF'
net.ipv4.ip_nonlocal_bind = 1
ONPREM_K8S_EOF
sysctl -q -w net.ipv4.ip_nonlocal_bind=1
# haproxy reads every file of its conf.d; keepalived includes its conf.d from the main file.
put_file /etc/default/haproxy 0644 <<'ONPREM_K8S_EOF'
CONFIG=/etc/haproxy/conf.d
ONPREM_K8S_EOF
put_file /etc/haproxy/conf.d/00-base.cfg 0644 <<'ONPREM_K8S_EOF'
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

# HAProxy's own metrics for a scraper, on every address; anything but /metrics is a 404, and there is no stats page.
frontend metrics
    mode http
    bind :8405
    # Scrapes are not logged, failed requests are.
    option httplog
    option dontlog-normal
    timeout http-request 10s
    http-request use-service prometheus-exporter if { path /metrics }
    http-request deny deny_status 404
ONPREM_K8S_EOF
put_file /etc/keepalived/keepalived.conf 0644 <<'ONPREM_K8S_EOF'
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

include /etc/keepalived/conf.d/*.conf
ONPREM_K8S_EOF
put_file /etc/keepalived/onprem-notify.sh 0755 <<'ONPREM_K8S_EOF'
#!/bin/bash
# Rendered by onprem-k8s; changes here are overwritten.
set -euo pipefail
PATH=/usr/sbin:/usr/bin:/sbin:/bin
type=${1:-} name=${2:-} state=${3:-}
[[ $type == INSTANCE && $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || exit 0
# An instance whose load balancer is removed (keepalived reports it FAULT on the reload) leaves no file behind.
if [[ ! -f /etc/keepalived/conf.d/$name.conf ]]; then
  rm -f "/var/lib/prometheus/node-exporter/keepalived-$name.prom"
  exit 0
fi
value=0
if [[ $state == MASTER ]]; then value=1; fi
mkdir -p /var/lib/prometheus/node-exporter
# node_exporter reads only *.prom: it sees the new file whole, by its rename, or not at all.
tmp=$(mktemp "/var/lib/prometheus/node-exporter/.keepalived-$name.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<METRIC
# HELP onprem_keepalived_vrrp_master 1 when this host holds the VRRP instance's VIP.
# TYPE onprem_keepalived_vrrp_master gauge
onprem_keepalived_vrrp_master{vrrp_instance="$name"} $value
METRIC
chmod 0644 "$tmp"
if [[ ${ONPREM_IF_ABSENT:-} == 1 ]]; then
  ln "$tmp" "/var/lib/prometheus/node-exporter/keepalived-$name.prom" 2>/dev/null || true
else
  mv -f "$tmp" "/var/lib/prometheus/node-exporter/keepalived-$name.prom"
fi
ONPREM_K8S_EOF
mkdir -p /etc/keepalived/conf.d
rm -f /etc/haproxy/haproxy.cfg
echo "haproxy $(haproxy -v | head -n 1 | cut -d' ' -f3), keepalived and prometheus-node-exporter installed"
