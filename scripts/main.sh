#!/usr/bin/env bash
# The main job on the embedded default: boot the local lab (real hosts on this machine), then a real
# `pulumi up --stack lab` that builds the TLS etcd cluster and its VIP, and print how to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
bash scripts/lab/up.sh
bash scripts/lab/stack-config.sh
pulumi up --yes --stack lab --non-interactive

# Client credentials from the stack outputs, the key readable by root only.
# shellcheck source=scripts/lab/lib.sh
source scripts/lab/lib.sh
client="$LAB_DIR/etcd-client"
mkdir -p "$client"
pulumi stack output etcdCaCert --stack lab >"$client/ca.crt"
pulumi stack output etcdClientCert --stack lab >"$client/client.crt"
(umask 077 && pulumi stack output etcdClientKey --show-secrets --stack lab >"$client/client.key")
vip=$(pulumi stack output vips --stack lab --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).etcd')
tar -xzf "$LAB_DIR"/mirror/artifacts/etcd-*.tar.gz -C "$client" --strip-components=1 --wildcards '*/etcdctl'
cat <<EOM

The lab is up: etcd on $LAB_HOSTS behind the VIP $vip.
  $client/etcdctl --endpoints=https://$vip:2379 --cacert=$client/ca.crt --cert=$client/client.crt --key=$client/client.key endpoint health --cluster
  bash scripts/lab/ssh.sh lab1          # a shell on a lab host
  bash scripts/lab/down.sh              # stop the lab (state survives; up.sh boots it again)
EOM
