# shellcheck shell=bash
# A benchmark's own stack, derived from the lab stack: sourced by bench/lab.sh and bench/scale.sh after
# scripts/lab/lib.sh, with ROOT, LABS and STACK set, in the project's directory.

# derived_lab_config PREFIX CLUSTER: Pulumi.lab.yaml on the host network PREFIX.0/24 and named CLUSTER, without the lab
# stack's encrypted values, which only the lab stack can read (fresh_stack sets the derived stack's own).
derived_lab_config() {
  sed "s/172\\.31\\.250\\./$1./g; s/clusterName: lab/clusterName: $2/" Pulumi.lab.yaml | grep -v '^encryptionsalt:' |
    sed '/^  onprem-k8s:[A-Za-z0-9]*:$/{N;/secure:/d}'
}

# with_nodes FILE: FILE's worker and edge host lines (NAME-wN, NAME-eN) replaced, in their place, by the lines on stdin.
with_nodes() {
  local nodes
  nodes=$(cat)
  {
    sed '/name: [a-z]*-[we][0-9]/,$d' "$1"
    printf '%s\n' "$nodes"
    sed -n '/name: [a-z]*-[we][0-9]/,$p' "$1" | grep -v 'name: [a-z]*-[we][0-9]'
  } >"$1.new"
  mv "$1.new" "$1"
}

# fresh_stack: STACK with no state, a random VRRP password first (pulumi refuses to read the config of a stack that
# lacks a required key), random values for the apps' and Ceph's secrets, then this lab's keys and releases.
fresh_stack() {
  local key
  pulumi stack rm --yes --force --preserve-config "$STACK" >/dev/null 2>&1 || true
  pulumi stack init "$STACK" >/dev/null 2>&1
  head -c 6 /dev/urandom | base64 | head -c 8 | pulumi config set --secret loadBalancerAuthPassword --stack "$STACK" >/dev/null
  grep -B1 '^    secure:' Pulumi.lab.yaml | sed -n 's/^  onprem-k8s:\([A-Za-z0-9]*\):$/\1/p' | grep -v -e loadBalancerAuthPassword -e secretsEncryptionKey |
    while read -r key; do head -c 12 /dev/urandom | base64 | pulumi config set --secret "$key" --stack "$STACK" >/dev/null; done
  "$LABS/stack-config.sh" >/dev/null 2>&1 || { echo "${0##*/}: scripts/lab/stack-config.sh failed" >&2; exit 1; }
}
