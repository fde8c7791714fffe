#!/usr/bin/env bash
# Builds the Pulumi engine from its pinned Go modules into a cache keyed on those pins.
# A second run with nothing changed finds the cache and returns at once.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

if [[ -x "$ONPREM_TOOLS_BIN/pulumi" && -x "$ONPREM_TOOLS_BIN/pulumi-language-nodejs" ]]; then
  echo "tools: cached in $ONPREM_TOOLS_BIN"
  exit 0
fi

pulumi_version="$(cd "$ONPREM_ROOT/tools" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
echo "tools: building pulumi $pulumi_version and the Node.js language host into $ONPREM_TOOLS_BIN (a cold build takes minutes)"
mkdir -p "$ONPREM_CACHE"
staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# go.sum pins every module hash, so the checksum database is not needed.
export GOFLAGS=-mod=mod GOSUMDB=off
(
  cd "$ONPREM_ROOT/tools"
  go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    -o "$staging/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/pulumi-language-nodejs
)
# Publish the finished directory in one rename so an interrupted build never looks cached.
mkdir -p "$(dirname "$ONPREM_TOOLS_BIN")"
mv "$staging" "$ONPREM_TOOLS_BIN"
trap - EXIT
"$ONPREM_TOOLS_BIN/pulumi" version
