#!/usr/bin/env bash
set -euo pipefail
STEP='remove node lab-w1'
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
echo "node lab-w1 removed"
