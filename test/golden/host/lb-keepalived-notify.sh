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
