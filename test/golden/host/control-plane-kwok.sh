#!/usr/bin/env bash
set -euo pipefail
STEP='kwok on lab1'
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

command -v kwok >/dev/null || fail "kwok is not installed"
# The stages that match the binary ship in its release (eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee): <release>/…/share/kwok/stages-fast.yaml.
release=$(dirname "$(dirname "$(readlink -f "$(command -v kwok)")")")
stages=$(find "$release" -path '*/share/kwok/stages-fast.yaml' -type f | head -n 1)
[[ -n $stages ]] || fail "the kwok release in $release has no share/kwok/stages-fast.yaml"
put_file /etc/kwok/stages.yaml 0644 <"$stages"
put_file /etc/kwok/kubeconfig 0600 <"$SECRETS/kubeconfig"
put_file /etc/systemd/system/kwok.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=kwok: simulated nodes and pods (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/kwok \
  --kubeconfig=/etc/kwok/kubeconfig \
  --config=/etc/kwok/stages.yaml \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-ip=172.31.250.11 \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.0/16
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
systemctl daemon-reload
systemctl enable --quiet kwok
restarts=$(systemctl show -p NRestarts --value kwok)
if ! systemctl is-active --quiet kwok; then
  systemctl start kwok || true
elif [[ $CHANGED == 1 ]]; then
  systemctl restart kwok || true
else
  echo "kwok on lab1: unchanged"
  exit 0
fi
sleep 5
if ! systemctl is-active --quiet kwok || [[ $(systemctl show -p NRestarts --value kwok) != "$restarts" ]]; then
  why=$(journalctl -u kwok -n 3 --no-pager -o cat 2>/dev/null | tr '\n' ' ')
  restore_files
  systemctl daemon-reload
  systemctl restart kwok || true
  fail "kwok does not stay up: $why; the previous files are restored"
fi
echo "kwok on lab1: running"
