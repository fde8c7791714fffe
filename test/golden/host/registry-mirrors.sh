#!/usr/bin/env bash
set -euo pipefail
STEP='registry mirrors lab-w1'
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

put_file /etc/containerd/onprem-registry-ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
{ cat <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
server = "https://registry-1.docker.io"

[host."https://172.31.250.103:5000"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/containerd/onprem-registry-ca.crt"
ONPREM_K8S_EOF
printf '  [host."https://172.31.250.103:5000".header]\n    Authorization = "%s"\n' "$(cat "$SECRETS/pull-authorization")"; } | put_file /etc/containerd/certs.d/docker.io/hosts.toml 0600
{ cat <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
server = "https://registry.k8s.io"

[host."https://172.31.250.103:5000"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/containerd/onprem-registry-ca.crt"
ONPREM_K8S_EOF
printf '  [host."https://172.31.250.103:5000".header]\n    Authorization = "%s"\n' "$(cat "$SECRETS/pull-authorization")"; } | put_file /etc/containerd/certs.d/registry.k8s.io/hosts.toml 0600
if [[ -f /etc/containerd/certs.d/.onprem-k8s-mirrors ]]; then
  while read -r registry; do
    if [[ " docker.io registry.k8s.io " != *" $registry "* ]]; then
      rm -f "/etc/containerd/certs.d/$registry/hosts.toml" "/etc/containerd/certs.d/$registry/hosts.toml.bak"
      rmdir --ignore-fail-on-non-empty "/etc/containerd/certs.d/$registry"
    fi
  done </etc/containerd/certs.d/.onprem-k8s-mirrors
fi
printf '%s\n' docker.io registry.k8s.io >/etc/containerd/certs.d/.onprem-k8s-mirrors
echo "registry mirrors lab-w1: docker.io registry.k8s.io through 172.31.250.103:5000"
