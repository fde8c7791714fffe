#!/usr/bin/env bash
# Builds the Pulumi engine and the provider plugins from pinned Go modules into a cache keyed on those pins,
# and registers each plugin under the version its npm SDK asks for. A second run finds the cache and returns at once.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

build() {
  local pulumi_version staging
  pulumi_version="$(cd "$ONPREM_ROOT/tools" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
  echo "tools: building pulumi $pulumi_version, the Node.js language host and the provider plugins into $ONPREM_TOOLS_BIN (a cold build takes minutes)"
  mkdir -p "$ONPREM_CACHE"
  staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
  # go.sum pins every module hash, so the checksum database is not needed.
  if ! (cd "$ONPREM_ROOT/tools" && GOFLAGS=-mod=mod GOSUMDB=off go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    -o "$staging/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/...); then
    rm -rf "$staging"
    exit 1
  fi
  # Publish the finished directory in one rename so an interrupted build never looks cached.
  mkdir -p "$(dirname "$ONPREM_TOOLS_BIN")"
  mv "$staging" "$ONPREM_TOOLS_BIN"
}

# Each pulumi-resource-NAME is registered as the exact version @pulumi/NAME requests, so the engine never downloads.
register_plugins() {
  local plugin name version
  for plugin in "$ONPREM_TOOLS_BIN"/pulumi-resource-*; do
    name="${plugin##*/pulumi-resource-}"
    version="$(node -p "require('$ONPREM_ROOT/node_modules/@pulumi/$name/package.json').version")"
    if [[ ! -x "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name" ]]; then
      pulumi plugin install resource "$name" "$version" --file "$plugin" >/dev/null
      echo "tools: registered resource plugin $name v$version"
    fi
  done
}

if [[ -x "$ONPREM_TOOLS_BIN/pulumi" ]]; then
  echo "tools: cached in $ONPREM_TOOLS_BIN"
else
  build
fi
register_plugins
pulumi version >/dev/null
