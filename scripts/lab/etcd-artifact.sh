#!/usr/bin/env bash
# Builds the etcd release the lab serves (etcd, etcdctl and etcdutl, as upstream's release carries them, from their pinned Go modules in tools/etcd),
# packs it reproducibly, puts it on the lab mirror and prints "URL SHA256".
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/env.sh
source "$LAB_SCRIPTS/../env.sh"

module="$ONPREM_ROOT/tools/etcd"
version=$(cd "$module" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
key=$( (cd "$module" && cat go.mod go.sum cmd/etcd/main.go && go version) | sha256sum | cut -c1-16)
name="etcd-$version-linux-amd64"
tarball="$ONPREM_CACHE/etcd-$key/$name.tar.gz"
if [[ ! -f $tarball ]]; then
  log "building etcd $version from its Go modules"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$module" && GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0 go build -trimpath -o "$work/$name/" ./cmd/etcd go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3)
  mkdir -p "$(dirname "$tarball")"
  # Fixed order, owners and times: the same binaries always give the same checksum.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf - "$name" | gzip -n >"$tarball.part"
  mv "$tarball.part" "$tarball"
fi
mkdir -p "$LAB_DIR/mirror/artifacts"
cp -f "$tarball" "$LAB_DIR/mirror/artifacts/"
echo "$LAB_MIRROR_URL/artifacts/$name.tar.gz $(sha256sum "$tarball" | cut -d' ' -f1)"
