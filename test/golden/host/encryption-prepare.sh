#!/usr/bin/env bash
set -euo pipefail
STEP='encryption key rotation on lab1: read key-c57cc3b5 too'
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

if [[ ! -f /etc/systemd/system/kube-apiserver.service ]]; then
  echo "no control plane on lab1 yet: its own step writes the new config"
  exit 0
fi
in_use=$(sed -n 's/^ *- name: \(key-[0-9a-f]*\)$/\1/p' /etc/kubernetes/encryption-config.yaml 2>/dev/null | head -n 1 || true)
keys=" key-9d7032a8 key-c57cc3b5 "
if [[ -n $in_use && $keys != *" $in_use "* ]]; then
  fail "Secrets are encrypted with $in_use, which the new encryption config (key-9d7032a8, key-c57cc3b5) leaves out; to rotate the key, set secretsEncryptionOldKey to the key in use and secretsEncryptionKey to the new one"
fi
put_file /etc/kubernetes/encryption-config.yaml 0600 <"$SECRETS/encryption-config.yaml"
if [[ $CHANGED == 0 ]]; then
  echo "lab1: already reads key-c57cc3b5"
  exit 0
fi
api_ready() { kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://172.31.250.11:6443 --request-timeout=5s get --raw /readyz >/dev/null 2>&1; }
systemctl restart kube-apiserver || true
if ! retry 90 2 api_ready; then
  restore_files
  systemctl restart kube-apiserver || true
  fail "kube-apiserver is not ready with key-c57cc3b5 added; the previous encryption config is restored"
fi
echo "lab1: encrypts with key-9d7032a8, reads key-c57cc3b5 too"
