#!/usr/bin/env bash
set -euo pipefail
STEP='remove load balancer etcd'
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
rm -f /etc/haproxy/conf.d/50-etcd.cfg /etc/haproxy/conf.d/50-etcd.cfg.bak /etc/keepalived/conf.d/etcd.conf /etc/keepalived/conf.d/etcd.conf.bak /var/lib/prometheus/node-exporter/keepalived-etcd.prom
if compgen -G "/etc/keepalived/conf.d/*.conf" >/dev/null; then
  systemctl reload-or-restart haproxy keepalived
else
  systemctl disable --now keepalived haproxy prometheus-node-exporter 2>/dev/null || true
  rm -rf /etc/keepalived/conf.d /etc/keepalived/keepalived.conf /etc/haproxy/conf.d /etc/default/haproxy /etc/sysctl.d/60-onprem-k8s-lb.conf /etc/apt/sources.list.d/onprem-k8s.list
  rm -f /etc/keepalived/onprem-notify.sh /etc/keepalived/onprem-notify.sh.bak /var/lib/prometheus/node-exporter/keepalived-*.prom
fi
echo "load balancer etcd removed"
