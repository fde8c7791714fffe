#!/usr/bin/env bash
# ssh into a lab host with the lab key: ssh.sh HOST [CMD...]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || die "usage: ssh.sh HOST [CMD...]"
name=$1
shift
addr=$(host_addr "$name") || die "unknown lab host: $name (hosts: $LAB_HOSTS $LAB_NODES)"
# Only the host's own key, which up.sh recorded from its file system, is trusted.
exec ssh "${LAB_SSH_OPTS[@]}" "root@$addr" "$@"
