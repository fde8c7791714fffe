#!/usr/bin/env bash
# Stops and removes everything onprem-k8s installed on a stack's hosts, whichever stack installed it, as kubespray's
# reset.yml or `k0sctl reset` do: for hosts that hold another cluster, or the leftovers of a lost state. Every etcd
# snapshot in the backup directory stays. The stack's state goes too (its config stays), so the next `pulumi up`
# builds a new cluster, with new certificates, on bare hosts. Without --yes it only lists what it would reset.
#   bash scripts/reset.sh --stack NAME [--yes]
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"
cd "$ONPREM_ROOT"

usage() { echo "usage: bash scripts/reset.sh --stack NAME [--yes]" >&2; exit 2; }
stack="" yes=0
while (($#)); do
  case $1 in
    --stack) stack=${2:-}; shift 2 || usage ;;
    --yes) yes=1; shift ;;
    *) usage ;;
  esac
done
[[ -n $stack ]] || usage

# The stack's real hosts, one "name address port user hostkeytype hostkey" a line (simulated hosts have nothing to
# reset; a host without its pinned key gets "-", and is refused below).
hosts=$(pulumi config get hosts --json --stack "$stack" | node -e '
  const hosts = JSON.parse(require("fs").readFileSync(0, "utf8")).objectValue ?? [];
  for (const h of hosts) if (!h.simulated) console.log(h.name, h.address, h.sshPort ?? 22, h.sshUser ?? "root", (h.sshHostKey ?? "- -").split(/\s+/).slice(0, 2).join(" "));')
[[ -n $hosts ]] || { echo "reset: stack $stack has no hosts in its config (onprem-k8s:hosts)" >&2; exit 1; }
if [[ $yes != 1 ]]; then
  echo "reset: would stop and remove everything onprem-k8s installed on these hosts of stack $stack, and empty its state:" >&2
  while read -r name address _; do echo "  $name ($address)" >&2; done <<<"$hosts"
  echo "reset: refusing without --yes: bash scripts/reset.sh --stack $stack --yes" >&2
  exit 2
fi

key=$(mktemp) known_hosts=$(mktemp)
trap 'rm -f "$key" "$known_hosts"' EXIT
pulumi config get sshPrivateKey --stack "$stack" >"$key"
# ssh trusts each host's pinned key only, as the stack's steps do.
while read -r name address port _ type hostkey; do
  [[ $type != - ]] || { echo "reset: $name has no hosts[].sshHostKey in stack $stack; pin its SSH host key first" >&2; exit 1; }
  # ssh names a host on port 22 by its address alone, on another port as [address]:port.
  if [[ $port == 22 ]]; then echo "$address $type $hostkey"; else echo "[$address]:$port $type $hostkey"; fi >>"$known_hosts"
done <<<"$hosts"
while read -r name address port user _; do
  echo "reset: $name ($address)" >&2
  ssh -i "$key" -p "$port" -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known_hosts" -o LogLevel=ERROR \
    "$user@$address" bash -s <"$ONPREM_ROOT/scripts/host-reset.sh" ||
    { echo "reset: $name failed; run the reset again once it answers" >&2; exit 1; }
done <<<"$hosts"
# Every resource in the state was on those hosts or in their cluster: the next up starts from nothing.
pulumi stack rm --yes --force --preserve-config "$stack" >/dev/null
pulumi stack init "$stack" >/dev/null
echo "reset: the hosts of stack $stack are bare and its state is empty; 'pulumi up --stack $stack' builds a new cluster" >&2
