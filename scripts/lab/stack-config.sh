#!/usr/bin/env bash
# Points the lab stack at this machine's lab: its SSH key, its hosts' own SSH host keys, the etcd, kubernetes-server,
# kubernetes-node, kwok and registry releases on its mirror (built from their Go modules by scripts/build-kubernetes.sh
# and scripts/build-registry.sh, cached after the first run) and the image bundle (scripts/build-images.sh) at
# $LAB_DIR/images.
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
# The Secrets encryption key is part of the stack; a stack that has none (or one it cannot decrypt, as in a copy of
# Pulumi.lab.yaml under another stack) gets a new random one, through stdin.
if [[ -z "$(current secretsEncryptionKey)" ]]; then
  head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey --stack "$stack" >/dev/null
  log "stack $stack: set secretsEncryptionKey"
fi
# Each lab host's own SSH key, read from its file system (not over the network), pins the config's host at its address.
hosts_json=$(pulumi config get hosts --json --stack "$stack")
for h in $LAB_HOSTS $LAB_NODES; do
  index=$(node -e 'const i = (JSON.parse(process.argv[1]).objectValue ?? []).findIndex((h) => h.address === process.argv[2]); if (i >= 0) console.log(i);' "$hosts_json" "$(host_addr "$h")")
  [[ -n $index ]] || continue
  pub=$(host_dir "$h")/root/etc/ssh/ssh_host_ed25519_key.pub
  [[ -s $pub ]] || die "$h has no SSH host key yet ($pub): run scripts/lab/up.sh first"
  read -r type key _ <"$pub"
  set_if_changed "hosts[$index].sshHostKey" "$type $key"
done
read -r url sha256 < <(bash "$LAB_SCRIPTS/etcd-artifact.sh")
set_if_changed artifacts.etcd.url "$url"
set_if_changed artifacts.etcd.sha256 "$sha256"

# publish NAME FILE SHA256: the release FILE on the lab mirror, and its URL and checksum as artifacts.NAME.
publish() {
  cmp -s "$2" "$LAB_DIR/mirror/artifacts/$(basename "$2")" || cp -f "$2" "$LAB_DIR/mirror/artifacts/"
  set_if_changed "artifacts.$1.url" "$LAB_MIRROR_URL/artifacts/$(basename "$2")"
  set_if_changed "artifacts.$1.sha256" "$3"
}

# kubernetes-server, kubernetes-node and kwok: the release tarballs of scripts/build-kubernetes.sh, published under artifacts/,
# and versions.kubernetes, the release they hold.
kube_bin=$(bash "$LAB_SCRIPTS/../build-kubernetes.sh")
release=$(dirname "$kube_bin")/release
mkdir -p "$LAB_DIR/mirror/artifacts"
while read -r sha256 file; do
  case $file in
    kubernetes-server-*.tar.gz)
      name=kubernetes
      # The release's version, as its name carries it (kubernetes-server-v1.34.4-linux-amd64.tar.gz).
      version=${file#kubernetes-server-}
      set_if_changed versions.kubernetes "${version%%-*}"
      ;;
    kubernetes-node-*.tar.gz) name=kubernetesNode ;;
    kwok-*.tar.gz) name=kwok ;;
    *) continue ;;
  esac
  publish "$name" "$release/$file" "$sha256"
done <"$release/SHA256SUMS"
for name in kubernetes kubernetesNode kwok; do
  [[ -n "$(current "artifacts.$name.url")" ]] || die "$release/SHA256SUMS names no $name release"
done

# The registry release.
read -r tarball sha256 < <(bash "$LAB_SCRIPTS/../build-registry.sh")
publish registry "$tarball" "$sha256"

# The bundle lives at a fixed place, as a site keeps the one it brought in: a rebuilt bundle changes only the archives
# (and digests) of the images that changed, so pulumi up pushes only those.
bundle=$(bash "$LAB_SCRIPTS/../build-images.sh")
images=$LAB_DIR/images
mkdir -p "$images"
for archive in "$bundle"/*.tar; do
  cmp -s "$archive" "$images/$(basename "$archive")" || cp -f "$archive" "$images/"
done
cp -f "$bundle/bundle.json" "$images/bundle.json"
set_if_changed imageRegistry.bundle "$images"
