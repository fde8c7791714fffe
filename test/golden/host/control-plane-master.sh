#!/usr/bin/env bash
set -euo pipefail
STEP='control plane lab1'
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

for binary in /opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-apiserver /opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-controller-manager /opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-scheduler /opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kubectl; do
  [[ -x $binary ]] || fail "$binary is not installed"
done
mkdir -p "$(dirname /var/log/kubernetes/audit.log)"
# Version skew: the running apiservers' and kubelets' versions against v1.35.4.
skew_kubectl() { kubectl --kubeconfig "$SECRETS/admin.conf" --request-timeout=5s "$@"; }
reachable=
for address in 172.31.250.11 172.31.250.12 172.31.250.13; do
  running=$(skew_kubectl --server "https://$address:6443" get --raw /version 2>/dev/null | sed -n 's/.*"gitVersion": *"\(v[0-9][^"]*\)".*/\1/p') || true
  [[ $running =~ ^v[0-9]+\.([0-9]+)\. ]] || continue
  reachable=$address
  minor=${BASH_REMATCH[1]}
  if ((35 > minor + 1)); then
    fail "versions.kubernetes v1.35.4 skips a minor: the apiserver on $address runs $running; upgrade one minor per up: v1.$((minor + 1)).x first"
  elif ((35 < minor)); then
    fail "versions.kubernetes v1.35.4 is a minor older than the $running that the apiserver on $address runs: Kubernetes does not go back a minor; to undo an upgrade, restore etcd from a snapshot taken before it (etcd.restore)"
  fi
done
if [[ -n $reachable ]] && kubelets=$(skew_kubectl --server "https://$reachable:6443" get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{"\n"}{end}' 2>/dev/null); then
  while IFS='=' read -r node kubelet; do
    [[ $kubelet =~ ^v?[0-9]+\.([0-9]+)\. ]] || continue
    if ((BASH_REMATCH[1] < 35 - 3)); then
      fail "versions.kubernetes v1.35.4 would leave node $node's kubelet $kubelet more than 3 minors behind the apiservers: upgrade the nodes first, with a smaller step"
    fi
  done <<<"$kubelets"
fi
in_use=$(sed -n 's/^ *- name: \(key-[0-9a-f]*\)$/\1/p' /etc/kubernetes/encryption-config.yaml 2>/dev/null | head -n 1 || true)
keys=" key-c57cc3b5 "
if [[ -n $in_use && $keys != *" $in_use "* ]]; then
  fail "Secrets are encrypted with $in_use, which the new encryption config (key-c57cc3b5) leaves out; to rotate the key, set secretsEncryptionOldKey to the key in use and secretsEncryptionKey to the new one"
fi
put_file /etc/kubernetes/pki/ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/sa.key 0600 <"$SECRETS/sa.key"
put_file /etc/kubernetes/pki/front-proxy-ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
shared_changed=$CHANGED
CHANGED=0
put_file /etc/kubernetes/pki/apiserver.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/apiserver.key 0600 <"$SECRETS/apiserver.key"
put_file /etc/kubernetes/pki/etcd-ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/apiserver-etcd-client.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/apiserver-etcd-client.key 0600 <"$SECRETS/apiserver-etcd-client.key"
put_file /etc/kubernetes/pki/apiserver-kubelet-client.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/apiserver-kubelet-client.key 0600 <"$SECRETS/apiserver-kubelet-client.key"
put_file /etc/kubernetes/pki/front-proxy-client.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/front-proxy-client.key 0600 <"$SECRETS/front-proxy-client.key"
put_file /etc/kubernetes/pki/sa.pub 0644 <<'ONPREM_K8S_EOF'
-----BEGIN PUBLIC KEY-----
MIIBfakePUBLICKEY
-----END PUBLIC KEY-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/encryption-config.yaml 0600 <"$SECRETS/encryption-config.yaml"
put_file /etc/kubernetes/audit-policy.yaml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - RequestReceived
rules:
  - level: None
    nonResourceURLs:
      - /healthz*
      - /livez*
      - /readyz*
      - /version
  - level: None
    users:
      - system:kube-scheduler
      - system:kube-controller-manager
    verbs:
      - get
      - list
      - watch
  - level: None
    resources:
      - group: coordination.k8s.io
        resources:
          - leases
    verbs:
      - get
      - update
  - level: None
    resources:
      - group: ""
        resources:
          - events
  - level: Metadata
ONPREM_K8S_EOF
put_file /etc/systemd/system/kube-apiserver.service 0644 <<'ONPREM_K8S_EOF'
# kubernetes-server release aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
[Unit]
Description=Kubernetes API server (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-apiserver \
  --advertise-address=172.31.250.11 \
  --bind-address=172.31.250.11 \
  --secure-port=6443 \
  --allow-privileged=true \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --anonymous-auth=true \
  --client-ca-file=/etc/kubernetes/pki/ca.crt \
  --tls-cert-file=/etc/kubernetes/pki/apiserver.crt \
  --tls-private-key-file=/etc/kubernetes/pki/apiserver.key \
  --etcd-servers=https://172.31.250.11:2379,https://172.31.250.12:2379,https://172.31.250.13:2379 \
  --etcd-cafile=/etc/kubernetes/pki/etcd-ca.crt \
  --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt \
  --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key \
  --encryption-provider-config=/etc/kubernetes/encryption-config.yaml \
  --audit-policy-file=/etc/kubernetes/audit-policy.yaml \
  --audit-log-path=/var/log/kubernetes/audit.log \
  --audit-log-maxage=7 \
  --audit-log-maxbackup=5 \
  --audit-log-maxsize=100 \
  --service-cluster-ip-range=10.96.0.0/16 \
  --service-node-port-range=30000-32767 \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file=/etc/kubernetes/pki/sa.pub \
  --service-account-signing-key-file=/etc/kubernetes/pki/sa.key \
  --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt \
  --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt \
  --proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key \
  --profiling=false
Restart=always
RestartSec=5
LimitNOFILE=65536
TimeoutStopSec=10
ExecStartPre=/bin/rm -f /run/kube-apiserver.draining
ExecStop=/bin/sh -c 'touch /run/kube-apiserver.draining; sleep 3'

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
apiserver_changed=$((CHANGED | shared_changed))
CHANGED=0
put_file /etc/kubernetes/pki/ca-signer.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/kubernetes/pki/ca.key 0600 <"$SECRETS/ca.key"
put_file /etc/kubernetes/controller-manager.conf 0600 <"$SECRETS/controller-manager.conf"
put_file /etc/systemd/system/kube-controller-manager.service 0644 <<'ONPREM_K8S_EOF'
# kubernetes-server release aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
[Unit]
Description=Kubernetes controller manager (onprem-k8s)
After=kube-apiserver.service
Wants=network-online.target

[Service]
ExecStart=/opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-controller-manager \
  --kubeconfig=/etc/kubernetes/controller-manager.conf \
  --authentication-kubeconfig=/etc/kubernetes/controller-manager.conf \
  --authorization-kubeconfig=/etc/kubernetes/controller-manager.conf \
  --bind-address=172.31.250.11 \
  --secure-port=10257 \
  --leader-elect=true \
  --cluster-name=lab \
  --cluster-signing-cert-file=/etc/kubernetes/pki/ca-signer.crt \
  --cluster-signing-key-file=/etc/kubernetes/pki/ca.key \
  --root-ca-file=/etc/kubernetes/pki/ca.crt \
  --service-account-private-key-file=/etc/kubernetes/pki/sa.key \
  --use-service-account-credentials=true \
  --service-cluster-ip-range=10.96.0.0/16 \
  --cluster-cidr=10.244.0.0/16 \
  --allocate-node-cidrs=true \
  --node-cidr-mask-size=24 \
  --requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt \
  --profiling=false
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
controller_manager_changed=$((CHANGED | shared_changed))
CHANGED=0
put_file /etc/kubernetes/scheduler.conf 0600 <"$SECRETS/scheduler.conf"
put_file /etc/systemd/system/kube-scheduler.service 0644 <<'ONPREM_K8S_EOF'
# kubernetes-server release aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
[Unit]
Description=Kubernetes scheduler (onprem-k8s)
After=kube-apiserver.service
Wants=network-online.target

[Service]
ExecStart=/opt/onprem-k8s/kubernetes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bin/kube-scheduler \
  --kubeconfig=/etc/kubernetes/scheduler.conf \
  --authentication-kubeconfig=/etc/kubernetes/scheduler.conf \
  --authorization-kubeconfig=/etc/kubernetes/scheduler.conf \
  --bind-address=172.31.250.11 \
  --secure-port=10259 \
  --leader-elect=true \
  --profiling=false
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
scheduler_changed=$CHANGED
CHANGED=0
put_file /etc/systemd/system/kube-apiserver-agent.socket 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Tells the API load balancers when kube-apiserver is about to stop (onprem-k8s, HAProxy agent-check)

[Socket]
ListenStream=172.31.250.11:6445
Accept=yes
FreeBind=yes

[Install]
WantedBy=sockets.target
ONPREM_K8S_EOF
put_file /etc/systemd/system/kube-apiserver-agent@.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=kube-apiserver drain state for a load balancer (onprem-k8s)

[Service]
ExecStart=/bin/sh -c 'if [ -e /run/kube-apiserver.draining ]; then echo drain; else echo ready; fi'
StandardInput=socket
StandardOutput=socket
# One instance per check, every second from each load balancer: keep them out of the journal.
LogLevelMax=notice
ONPREM_K8S_EOF
agent_changed=$CHANGED
put_file /etc/kubernetes/admin.conf 0600 <"$SECRETS/admin.conf"
put_file /etc/systemd/system/kube-control-plane-ensure.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Start the control plane daemons again if they were stopped (onprem-k8s; mask one to keep it down)

[Service]
Type=oneshot
# Only a daemon that is down: a start job would cancel a stop in progress.
ExecStart=/bin/sh -c 'for u in kube-apiserver kube-controller-manager kube-scheduler; do case $$(systemctl is-active $$u) in inactive|failed) systemctl start --no-block $$u ;; esac; done'
ONPREM_K8S_EOF
put_file /etc/systemd/system/kube-control-plane-ensure.timer 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Keep the control plane daemons running (onprem-k8s)

[Timer]
OnActiveSec=30s
OnUnitActiveSec=30s

[Install]
WantedBy=timers.target
ONPREM_K8S_EOF
systemctl daemon-reload
systemctl enable --quiet kube-apiserver kube-controller-manager kube-scheduler kube-control-plane-ensure.timer kube-apiserver-agent.socket
systemctl start kube-control-plane-ensure.timer
if [[ $agent_changed == 1 ]]; then systemctl restart kube-apiserver-agent.socket; else systemctl start kube-apiserver-agent.socket; fi
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
# give_up WHAT: the new files did not work; the previous ones come back and the daemons run on them again.
give_up() {
  restore_files
  systemctl daemon-reload
  if [[ $apiserver_changed == 1 ]]; then systemctl restart kube-apiserver || true; fi
  if [[ $controller_manager_changed == 1 ]]; then systemctl restart kube-controller-manager || true; fi
  if [[ $scheduler_changed == 1 ]]; then systemctl restart kube-scheduler || true; fi
  fail "$1; the previous files are restored"
}
api_ready() { kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.11:6443 --request-timeout=5s get --raw /readyz >/dev/null 2>&1; }
healthz() { curl -fsSk --max-time 5 "https://172.31.250.11:$1/healthz" >/dev/null 2>&1; }
apiserver=$(apply kube-apiserver "$apiserver_changed")
if ! retry 90 2 api_ready; then
  give_up "kube-apiserver is not ready on https://172.31.250.11:6443 after it $apiserver: $(kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.11:6443 --request-timeout=5s get --raw '/readyz?verbose' 2>&1 | grep -v ' ok$' | tail -n 3 | tr '\n' ' ')"
fi
controller_manager=$(apply kube-controller-manager "$controller_manager_changed")
scheduler=$(apply kube-scheduler "$scheduler_changed")
retry 60 2 healthz 10257 || give_up "kube-controller-manager is not healthy after it $controller_manager"
retry 60 2 healthz 10259 || give_up "kube-scheduler is not healthy after it $scheduler"
echo "control plane lab1: kube-apiserver $apiserver, kube-controller-manager $controller_manager, kube-scheduler $scheduler; ready"
