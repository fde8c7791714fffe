#!/usr/bin/env bash
# Builds the registry release the hosts of role registry run: the CNCF distribution registry from its pinned Go module
# (tools/registry) and registry-htpasswd (hashes the accounts' passwords on the host), packed reproducibly into
# registry-VERSION-linux-amd64.tar.gz, cached on the pins; prints "TARBALL SHA256" on stdout (progress on stderr).
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"
export GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0

module="$ONPREM_ROOT/tools/registry"
version=$(cd "$module" && go list -m -f '{{.Version}}' github.com/distribution/distribution/v3)
key=$( (cd "$module" && cat go.mod go.sum tools.go cmd/registry-htpasswd/main.go && go version) | sha256sum | cut -c1-16)
name="registry-$version-$(go env GOOS)-$(go env GOARCH)"
tarball="$ONPREM_CACHE/registry-$key/$name.tar.gz"
if [[ ! -f $tarball ]]; then
  echo "registry: building distribution $version from its Go module (about a minute)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$module" && go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$version" \
    -o "$work/$name/" github.com/distribution/distribution/v3/cmd/registry ./cmd/registry-htpasswd)
  mkdir -p "$(dirname "$tarball")"
  # Fixed order, owners and times: the same binaries always give the same checksum.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf - "$name" | gzip -n >"$tarball.part"
  mv "$tarball.part" "$tarball"
fi
echo "$tarball $(sha256sum "$tarball" | cut -d' ' -f1)"
