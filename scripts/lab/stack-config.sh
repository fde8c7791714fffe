#!/usr/bin/env bash
# Points the lab stack at this machine's lab: its SSH key and the etcd release on its mirror.
# Values are written only when they differ, so a second run leaves Pulumi.lab.yaml as it is.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/env.sh
source "$LAB_SCRIPTS/../env.sh"
cd "$ONPREM_ROOT"

stack=${LAB_STACK:-lab}
pulumi stack select --create "$stack" >/dev/null
current() { pulumi config get --path "$1" --stack "$stack" 2>/dev/null || true; }
set_if_changed() {
  if [[ "$(current "$1")" != "$2" ]]; then
    pulumi config set --path "$1" --stack "$stack" -- "$2" >/dev/null
    log "stack $stack: set $1"
  fi
}
# The key goes through stdin, never the command line.
if [[ "$(current sshPrivateKey)" != "$(cat "$LAB_KEY")" ]]; then
  pulumi config set --secret sshPrivateKey --stack "$stack" <"$LAB_KEY" >/dev/null
  log "stack $stack: set sshPrivateKey"
fi
read -r url sha256 < <(bash "$LAB_SCRIPTS/etcd-artifact.sh")
set_if_changed artifacts.etcd.url "$url"
set_if_changed artifacts.etcd.sha256 "$sha256"
