#!/usr/bin/env bash
set -euo pipefail
STEP='node lab-w1'
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

for binary in containerd containerd-shim-runc-v2 ctr runc iptables; do
  command -v "$binary" >/dev/null || fail "$binary is not installed"
done
for plugin in bridge host-local loopback portmap; do
  [[ -x /opt/cni/bin/$plugin ]] || fail "the CNI plugin $plugin is not in /opt/cni/bin: give artifacts.cniPlugins"
done
for binary in /opt/onprem-k8s/kubernetesNode/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/bin/kubelet /opt/onprem-k8s/kubernetesNode/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/bin/kube-proxy; do
  [[ -x $binary ]] || fail "$binary is not installed"
done
command -v curl >/dev/null || fail "curl is not installed"
[[ -z $(swapon --noheadings 2>/dev/null) ]] || fail "swap is on and the kubelet refuses to run with it: turn it off (swapoff -a) and remove it from /etc/fstab"
[[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] ||
  fail "lab-w1 runs cgroup v1, which the kubelet v1.35.4 refuses: boot it with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set kubernetes.kubeletFailCgroupV1: false"
put_file /etc/modules-load.d/onprem-k8s-node.conf 0644 <<'ONPREM_K8S_EOF'
overlay
br_netfilter
ONPREM_K8S_EOF
put_file /etc/sysctl.d/90-onprem-k8s-node.conf 0644 <<'ONPREM_K8S_EOF'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
ONPREM_K8S_EOF
# Built into some kernels, and a container host cannot load modules: load one only when it is missing.
grep -qw overlay /proc/filesystems || modprobe overlay || fail "cannot load the overlay kernel module"
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter || fail "cannot load the br_netfilter kernel module"
sysctl -q -p /etc/sysctl.d/90-onprem-k8s-node.conf || fail "cannot set the sysctls in /etc/sysctl.d/90-onprem-k8s-node.conf"
# containerd reads the CNI config directory as it changes: no restart.
put_file /etc/cni/net.d/10-flannel.conflist 0644 <<'ONPREM_K8S_EOF'
{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
ONPREM_K8S_EOF
CHANGED=0
put_file /etc/containerd/config.toml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
version = 2

# Pulled like every image: through the site registry's mirror when there is one.
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # No container below containerd's own OOM score: a host without CAP_SYS_RESOURCE (a container host) could not set
  # one, and on others containerd's -999 leaves every score the kubelet asks for as it is.
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
ONPREM_K8S_EOF
put_file /etc/systemd/system/containerd.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=containerd container runtime (onprem-k8s)
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
containerd_changed=$CHANGED
CHANGED=0
# Registries are read at each pull: their files restart no daemon. A registry no longer configured loses its files.
if [[ -f /etc/containerd/certs.d/.onprem-k8s-registries ]]; then
  while read -r registry; do
    rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak" "/etc/containerd/certs.d/$registry/ca.crt" "/etc/containerd/certs.d/$registry/ca.crt.bak"
    rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
  done </etc/containerd/certs.d/.onprem-k8s-registries
  rm -f /etc/containerd/certs.d/.onprem-k8s-registries
fi
CHANGED=0
put_file /var/lib/kubelet/pki/ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /var/lib/kubelet/pki/kubelet-serving.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /var/lib/kubelet/pki/kubelet-serving.key 0600 <"$SECRETS/kubelet-serving.key"
put_file /var/lib/kubelet/pki/kubelet-client.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /var/lib/kubelet/pki/kubelet-client.key 0600 <"$SECRETS/kubelet-client.key"
put_file /var/lib/kubelet/kubeconfig 0600 <"$SECRETS/kubelet.conf"
put_file /var/lib/kubelet/config.yaml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /var/lib/kubelet/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
  - 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
failSwapOn: true
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
rotateCertificates: false
serverTLSBootstrap: false
tlsCertFile: /var/lib/kubelet/pki/kubelet-serving.crt
tlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet-serving.key
tlsMinVersion: VersionTLS12
ONPREM_K8S_EOF
put_file /etc/systemd/system/kubelet.service 0644 <<'ONPREM_K8S_EOF'
# kubernetes-node release dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
[Unit]
Description=Kubernetes node agent (onprem-k8s)
After=network-online.target containerd.service
Wants=network-online.target

[Service]
ExecStart=/opt/onprem-k8s/kubernetesNode/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/bin/kubelet \
  --config=/var/lib/kubelet/config.yaml \
  --kubeconfig=/var/lib/kubelet/kubeconfig \
  --node-ip=172.31.250.21 \
  --hostname-override=lab-w1
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
kubelet_changed=$CHANGED
CHANGED=0
put_file /var/lib/kube-proxy/kubeconfig 0600 <"$SECRETS/kube-proxy.conf"
put_file /var/lib/kube-proxy/config.yaml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig
clusterCIDR: 10.244.0.0/16
hostnameOverride: lab-w1
metricsBindAddress: 172.31.250.21:10249
mode: iptables
ONPREM_K8S_EOF
put_file /etc/systemd/system/kube-proxy.service 0644 <<'ONPREM_K8S_EOF'
# kubernetes-node release dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
[Unit]
Description=Kubernetes network proxy (onprem-k8s)
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
ExecStart=/opt/onprem-k8s/kubernetesNode/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/bin/kube-proxy \
  --config=/var/lib/kube-proxy/config.yaml
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
kube_proxy_changed=$CHANGED
systemctl daemon-reload
systemctl enable --quiet containerd kubelet kube-proxy
# apply UNIT CHANGED: starts a stopped daemon, restarts a changed one; prints what it did.
apply() {
  if ! systemctl is-active --quiet "$1"; then
    systemctl start "$1" || true
    echo started
  elif [[ $2 == 1 ]]; then
    systemctl restart "$1" || true
    echo restarted
  else
    echo unchanged
  fi
}
# revert UNIT CHANGED: after the files came back, a changed daemon runs on them again, or stops if it had none.
revert() {
  [[ $2 == 1 ]] || return 0
  if [[ -f /etc/systemd/system/$1.service ]]; then systemctl restart "$1" || true; else systemctl stop "$1" || true; fi
}
journal() { journalctl -u "$1" -n 3 --no-pager -o cat 2>/dev/null | tr '\n' ' '; }
# give_up WHAT: the new files did not work; the previous ones come back and the daemons run on them again.
give_up() {
  restore_files
  systemctl daemon-reload
  revert containerd "$containerd_changed"
  revert kubelet "$kubelet_changed"
  revert kube-proxy "$kube_proxy_changed"
  fail "$1; the previous files are restored"
}
containerd=$(apply containerd "$containerd_changed")
containerd_up() { ctr --address /run/containerd/containerd.sock version >/dev/null 2>&1; }
retry 30 2 containerd_up || give_up "containerd does not answer on /run/containerd/containerd.sock after it $containerd: $(journal containerd)"
kubelet=$(apply kubelet "$kubelet_changed")
kubelet_healthy() { curl -fsS --max-time 5 http://127.0.0.1:10248/healthz >/dev/null 2>&1; }
retry 60 2 kubelet_healthy || give_up "the kubelet is not healthy on 127.0.0.1:10248 after it $kubelet: $(journal kubelet)"
# The Node must exist, Ready and with its pod subnet, before its labels and taints are set through the API and the next
# batch starts; the node authorizer lets the kubelet read its own Node (JSON that curl gets pretty-printed: no blanks).
node_ready() {
  local node
  node=$(curl -fsS --max-time 5 --cacert /var/lib/kubelet/pki/ca.crt --cert /var/lib/kubelet/pki/kubelet-client.crt --key /var/lib/kubelet/pki/kubelet-client.key https://172.31.250.101:6443/api/v1/nodes/lab-w1 2>/dev/null | tr -d ' \n') &&
    [[ $node == *'"podCIDR":"'* && $node == *'"type":"Ready","status":"True"'* ]]
}
retry 60 2 node_ready || give_up "node lab-w1 is not Ready with a pod subnet at https://172.31.250.101:6443: $(journal kubelet)"
restarts=$(systemctl show -p NRestarts --value kube-proxy)
kube_proxy=$(apply kube-proxy "$kube_proxy_changed")
if [[ $kube_proxy != unchanged ]]; then
  sleep 5
  if ! systemctl is-active --quiet kube-proxy || [[ $(systemctl show -p NRestarts --value kube-proxy) != "$restarts" ]]; then
    give_up "kube-proxy does not stay up after it $kube_proxy: $(journal kube-proxy)"
  fi
fi
echo "node lab-w1: containerd $containerd, kubelet $kubelet, kube-proxy $kube_proxy; Ready"
