#!/usr/bin/env bash
# The main job on the embedded default: boot the local lab (real hosts on this machine), then a real
# `pulumi up --stack lab` that builds etcd, the load balancers, the HA control plane, the real worker and edge nodes,
# the addons and the apps, and print how to reach them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-kubernetes.sh >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh
bash scripts/lab/up.sh
bash scripts/lab/stack-config.sh
# shellcheck source=scripts/lab/lib.sh
source scripts/lab/lib.sh

# The lab belongs to the project and holds only lab data: hosts whose etcd CA is not the one this clone's state knows
# (another clone's cluster, a failed run's, or a purged lab under an old state) are reset, and the stack starts anew,
# instead of failing at the preflight.
stack_ca=$(pulumi stack output etcdCaCert --stack lab 2>/dev/null || true)
stale=()
for host in $LAB_HOSTS; do
  host_ca=$(bash scripts/lab/ssh.sh "$host" cat /etc/etcd/pki/ca.crt 2>/dev/null </dev/null || true)
  [[ $host_ca == "$stack_ca" ]] || stale+=("$host")
done
if ((${#stale[@]} > 0)); then
  echo "main: lab hosts ${stale[*]} hold a cluster that this clone's lab stack does not know (or lost one it knew); resetting the lab hosts and the lab stack's state"
  bash scripts/reset.sh --stack lab --yes
fi
pulumi up --yes --stack lab --non-interactive

# Client credentials from the stack outputs, the key readable by root only.
client="$LAB_DIR/etcd-client"
mkdir -p "$client"
pulumi stack output etcdCaCert --stack lab >"$client/ca.crt"
pulumi stack output etcdClientCert --stack lab >"$client/client.crt"
(umask 077 && pulumi stack output etcdClientKey --show-secrets --stack lab >"$client/client.key")
vip=$(pulumi stack output vips --stack lab --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).etcd')
tar -xzf "$LAB_DIR"/mirror/artifacts/etcd-*.tar.gz -C "$client" --strip-components=1 --wildcards '*/etcdctl'
(umask 077 && pulumi stack output kubeconfig --show-secrets --stack lab >"$LAB_DIR/admin.kubeconfig")
kube_bin=$(bash scripts/build-kubernetes.sh)
pulumi stack output registryCaCert --stack lab >"$LAB_DIR/registry-ca.crt"
registry=$(pulumi stack output registryEndpoint --stack lab)
cat <<EOM

The lab is up: etcd and the Kubernetes control plane on $LAB_HOSTS, etcd behind the VIP $vip, the API at $(pulumi stack output apiServerUrl --stack lab), the image registry at $registry with the bundle, the worker and edge nodes $LAB_NODES, the addons and the seed apps.
  $kube_bin/kubectl --kubeconfig $LAB_DIR/admin.kubeconfig get nodes,deployments,daemonsets,ingresses,pvc -A -o wide
  pulumi stack output appUrls --stack lab   # where each app answers
  curl -H 'Host: tutum-hello-world.local' http://$(pulumi stack output vips --stack lab --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).edge')/   # seed 000 through Traefik on the edge nodes
  pulumi stack output podRoutes --stack lab  # routes to the pod subnets for hosts outside the cluster
  $client/etcdctl --endpoints=https://$vip:2379 --cacert=$client/ca.crt --cert=$client/client.crt --key=$client/client.key endpoint health --cluster
  curl --cacert $LAB_DIR/registry-ca.crt -u onprem-pull:"\$(pulumi config get registryPullPassword --stack lab)" https://$registry/v2/_catalog
  bash scripts/lab/ssh.sh lab1          # a shell on a lab host
  bash scripts/lab/down.sh              # stop the lab (state survives; up.sh boots it again)
EOM
