#!/usr/bin/env bash
set -euo pipefail
STEP=reset
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

# Each part is a remove script of its own; a part that fails stops the reset, and a second run takes it up again.
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove kwok on this host'
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

systemctl disable --now kwok 2>/dev/null || true
rm -rf /etc/systemd/system/kwok.service /etc/kwok
systemctl daemon-reload
echo "kwok on this host removed"
ONPREM_K8S_EOF
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove registry mirrors this host'
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

if [[ -f /etc/containerd/certs.d/.onprem-k8s-mirrors ]]; then
  while read -r registry; do
    rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak"
    rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
  done </etc/containerd/certs.d/.onprem-k8s-mirrors
  rm -f /etc/containerd/certs.d/.onprem-k8s-mirrors
fi
rm -f /etc/containerd/onprem-registry-ca.crt /etc/containerd/onprem-registry-ca.crt.bak
echo "registry mirrors this host removed"
ONPREM_K8S_EOF
# containerd's unit is onprem-k8s's with its release; otherwise Debian's package runs it.
if grep -qs "(onprem-k8s)" /etc/systemd/system/containerd.service; then
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove node this host'
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

systemctl disable --now kubelet kube-proxy 2>/dev/null || true
# kube-proxy's iptables rules go with it.
if command -v kube-proxy >/dev/null; then kube-proxy --cleanup >/dev/null 2>&1 || true; fi
systemctl disable --now containerd 2>/dev/null || true
if [[ -f /etc/containerd/certs.d/.onprem-k8s-registries ]]; then
  while read -r registry; do
    rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak" "/etc/containerd/certs.d/$registry/ca.crt" "/etc/containerd/certs.d/$registry/ca.crt.bak"
    rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
  done </etc/containerd/certs.d/.onprem-k8s-registries
  rm -f /etc/containerd/certs.d/.onprem-k8s-registries
fi
# With put_file's backups: old keys must not stay behind.
rm -f /etc/systemd/system/kubelet.service /etc/systemd/system/kubelet.service.bak /etc/systemd/system/kube-proxy.service /etc/systemd/system/kube-proxy.service.bak /var/lib/kubelet/pki/ca.crt /var/lib/kubelet/pki/ca.crt.bak /var/lib/kubelet/pki/kubelet-serving.crt /var/lib/kubelet/pki/kubelet-serving.crt.bak /var/lib/kubelet/pki/kubelet-serving.key /var/lib/kubelet/pki/kubelet-serving.key.bak /var/lib/kubelet/pki/kubelet-client.crt /var/lib/kubelet/pki/kubelet-client.crt.bak /var/lib/kubelet/pki/kubelet-client.key /var/lib/kubelet/pki/kubelet-client.key.bak /var/lib/kubelet/config.yaml /var/lib/kubelet/config.yaml.bak /var/lib/kubelet/kubeconfig /var/lib/kubelet/kubeconfig.bak /var/lib/kube-proxy/config.yaml /var/lib/kube-proxy/config.yaml.bak /var/lib/kube-proxy/kubeconfig /var/lib/kube-proxy/kubeconfig.bak /etc/cni/net.d/10-flannel.conflist /etc/cni/net.d/10-flannel.conflist.bak /etc/modules-load.d/onprem-k8s-node.conf /etc/modules-load.d/onprem-k8s-node.conf.bak /etc/sysctl.d/90-onprem-k8s-node.conf /etc/sysctl.d/90-onprem-k8s-node.conf.bak /etc/containerd/config.toml /etc/containerd/config.toml.bak /etc/systemd/system/containerd.service /etc/systemd/system/containerd.service.bak
rmdir --ignore-fail-on-non-empty /var/lib/kubelet/pki /var/lib/kube-proxy 2>/dev/null || true
systemctl daemon-reload
echo "node this host removed"
ONPREM_K8S_EOF
else
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove node this host'
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

systemctl disable --now kubelet kube-proxy 2>/dev/null || true
# kube-proxy's iptables rules go with it.
if command -v kube-proxy >/dev/null; then kube-proxy --cleanup >/dev/null 2>&1 || true; fi
systemctl disable --now containerd 2>/dev/null || true
rm -f /opt/cni/bin/bridge /opt/cni/bin/host-local /opt/cni/bin/loopback /opt/cni/bin/portmap
if [[ -f /etc/containerd/certs.d/.onprem-k8s-registries ]]; then
  while read -r registry; do
    rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak" "/etc/containerd/certs.d/$registry/ca.crt" "/etc/containerd/certs.d/$registry/ca.crt.bak"
    rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
  done </etc/containerd/certs.d/.onprem-k8s-registries
  rm -f /etc/containerd/certs.d/.onprem-k8s-registries
fi
# With put_file's backups: old keys must not stay behind.
rm -f /etc/systemd/system/kubelet.service /etc/systemd/system/kubelet.service.bak /etc/systemd/system/kube-proxy.service /etc/systemd/system/kube-proxy.service.bak /var/lib/kubelet/pki/ca.crt /var/lib/kubelet/pki/ca.crt.bak /var/lib/kubelet/pki/kubelet-serving.crt /var/lib/kubelet/pki/kubelet-serving.crt.bak /var/lib/kubelet/pki/kubelet-serving.key /var/lib/kubelet/pki/kubelet-serving.key.bak /var/lib/kubelet/pki/kubelet-client.crt /var/lib/kubelet/pki/kubelet-client.crt.bak /var/lib/kubelet/pki/kubelet-client.key /var/lib/kubelet/pki/kubelet-client.key.bak /var/lib/kubelet/config.yaml /var/lib/kubelet/config.yaml.bak /var/lib/kubelet/kubeconfig /var/lib/kubelet/kubeconfig.bak /var/lib/kube-proxy/config.yaml /var/lib/kube-proxy/config.yaml.bak /var/lib/kube-proxy/kubeconfig /var/lib/kube-proxy/kubeconfig.bak /etc/cni/net.d/10-flannel.conflist /etc/cni/net.d/10-flannel.conflist.bak /etc/modules-load.d/onprem-k8s-node.conf /etc/modules-load.d/onprem-k8s-node.conf.bak /etc/sysctl.d/90-onprem-k8s-node.conf /etc/sysctl.d/90-onprem-k8s-node.conf.bak /etc/containerd/config.toml /etc/containerd/config.toml.bak
rmdir --ignore-fail-on-non-empty /var/lib/kubelet/pki /var/lib/kube-proxy 2>/dev/null || true
systemctl daemon-reload
echo "node this host removed"
ONPREM_K8S_EOF
fi
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove control plane this host'
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

systemctl disable --now kube-control-plane-ensure.timer kube-apiserver kube-controller-manager kube-scheduler kube-apiserver-agent.socket 2>/dev/null || true
rm -f /etc/systemd/system/kube-apiserver.service /etc/systemd/system/kube-controller-manager.service /etc/systemd/system/kube-scheduler.service /etc/systemd/system/kube-control-plane-ensure.service /etc/systemd/system/kube-control-plane-ensure.timer /etc/systemd/system/kube-apiserver-agent.socket /etc/systemd/system/kube-apiserver-agent@.service
rm -rf /etc/kubernetes /var/log/kubernetes
systemctl daemon-reload
echo "control plane this host removed"
ONPREM_K8S_EOF
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove etcd member this host'
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

systemctl disable --now etcd-ensure.timer etcd etcd-backup.timer 2>/dev/null || true
rm -rf /etc/systemd/system/etcd.service /etc/systemd/system/etcd-ensure.service /etc/systemd/system/etcd-ensure.timer /etc/systemd/system/etcd-backup.service /etc/systemd/system/etcd-backup.timer /usr/local/sbin/etcd-backup /etc/etcd /var/lib/etcd
systemctl daemon-reload
echo "etcd member this host removed"
ONPREM_K8S_EOF
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove every load balancer'
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
if [[ -d /etc/haproxy/conf.d || -d /etc/keepalived/conf.d ]]; then
  systemctl disable --now keepalived haproxy prometheus-node-exporter 2>/dev/null || true
  rm -rf /etc/keepalived/conf.d /etc/keepalived/keepalived.conf /etc/haproxy/conf.d /etc/default/haproxy /etc/sysctl.d/60-onprem-k8s-lb.conf /etc/apt/sources.list.d/onprem-k8s.list
  rm -f /etc/keepalived/onprem-notify.sh /etc/keepalived/onprem-notify.sh.bak /var/lib/prometheus/node-exporter/keepalived-*.prom
fi
echo "every load balancer removed"
ONPREM_K8S_EOF
bash -s <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
set -euo pipefail
STEP='remove registry this host'
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

storage=$(awk '$1 == "rootdirectory:" { print $2 }' /etc/onprem-registry/config.yml 2>/dev/null || true)
systemctl disable --now onprem-registry-gc.timer onprem-registry 2>/dev/null || true
rm -rf /etc/systemd/system/onprem-registry.service /etc/systemd/system/onprem-registry-gc.service /etc/systemd/system/onprem-registry-gc.timer /usr/local/sbin/onprem-registry-gc /etc/onprem-registry
if [[ -n $storage ]]; then rm -rf "$storage"; fi
systemctl daemon-reload
echo "registry this host removed"
ONPREM_K8S_EOF
# The releases and the links to them; the etcd snapshots in the backup directory stay.
for dir in /usr/local/bin /opt/cni/bin; do
  [[ -d $dir ]] || continue
  find "$dir" -maxdepth 1 -type l -lname '/opt/onprem-k8s/*' -delete
done
rm -rf /opt/onprem-k8s /var/cache/onprem-k8s/artifacts
echo "reset: nothing of onprem-k8s is left on $(hostname)"
