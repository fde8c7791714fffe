#!/usr/bin/env bash
# Builds the Pulumi engine and the provider plugins from pinned Go modules into caches keyed on those pins, and
# registers each plugin under the version its npm SDK asks for. A second run finds the caches and returns at once.
#  - tools/: the pulumi CLI, the Node.js language host and the project-built command and tls providers;
#  - tools/images/: onprem-image, which pulumi up runs to push the image bundle (scripts/build-images.sh --tool);
#  - tools/kubernetes-provider/: Pulumi's own kubernetes provider, in a module of its own so its dependency graph
#    never moves the CLI's, and in a cache of its own since a cold build takes 10 minutes or more on 2 cores.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"
export GOFLAGS=-mod=mod GOSUMDB=off

# Publishes a finished staging directory in one rename, so an interrupted build never looks cached.
publish() {
  mkdir -p "$(dirname "$2")"
  if ! mv -T "$1" "$2" 2>/dev/null; then
    rm -rf "$1" # a concurrent run published the same bytes first
  fi
}

build_tools() {
  local pulumi_version staging
  pulumi_version="$(cd "$ONPREM_ROOT/tools" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
  echo "tools: building pulumi $pulumi_version, the Node.js language host and the command and tls providers into $ONPREM_TOOLS_BIN (a cold build takes minutes)"
  mkdir -p "$ONPREM_CACHE"
  staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
  # go.sum pins every module hash, so the checksum database is not needed.
  if ! (cd "$ONPREM_ROOT/tools" && go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    -o "$staging/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/...); then
    rm -rf "$staging"
    exit 1
  fi
  publish "$staging" "$ONPREM_TOOLS_BIN"
}

# The provider is stamped with the version of the @pulumi/kubernetes SDK that package.json pins; the module pinned in
# tools/kubernetes-provider/go.mod must be that release.
KUBERNETES_VERSION="$(node -p "require('$ONPREM_ROOT/node_modules/@pulumi/kubernetes/package.json').version")"
# Bump when the way the provider is built changes, so the cache key changes with it.
KUBERNETES_RECIPE="v1 trimpath buildvcs=false cgo=0 -s -w"
kubernetes_key() {
  (cd "$ONPREM_ROOT/tools/kubernetes-provider" &&
    { cat go.mod go.sum cmd/pulumi-resource-kubernetes/main.go; go version; echo "$KUBERNETES_VERSION $KUBERNETES_RECIPE"; } |
    sha256sum | cut -c1-16)
}
KUBERNETES_PROVIDER="$ONPREM_CACHE/kubernetes-provider-$(kubernetes_key)/pulumi-resource-kubernetes"

build_kubernetes_provider() {
  local upstream
  echo "tools: building Pulumi's kubernetes provider v$KUBERNETES_VERSION into $(dirname "$KUBERNETES_PROVIDER") (a cold build takes 10 minutes or more)"
  mkdir -p "$ONPREM_CACHE"
  # Global, so the EXIT trap still sees it after a failing command ends the script.
  staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  # Built from a copy, so the generated files never land in the clone.
  cp -R "$ONPREM_ROOT/tools/kubernetes-provider" "$staging/src"
  cd "$staging/src"
  # The module's directory exists once it is downloaded; on a fresh machine it is not yet.
  go mod download github.com/pulumi/pulumi-kubernetes/provider/v4
  upstream="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
  # What upstream's generate.go writes: the schema stamped with the provider's version, and the mapping.
  # shellcheck disable=SC2016 # JavaScript template literals
  node -e '
    const fs = require("fs");
    const [from, to, version] = process.argv.slice(1);
    const schema = JSON.parse(fs.readFileSync(`${from}/schema.json`, "utf8"));
    schema.version = version;
    fs.writeFileSync(`${to}/schema-embed.json`, JSON.stringify(schema));
    fs.writeFileSync(`${to}/terraform-mapping-embed.json`, JSON.stringify(JSON.parse(fs.readFileSync(`${from}/terraform-mapping.json`, "utf8"))));
  ' "$upstream" cmd/pulumi-resource-kubernetes "$KUBERNETES_VERSION"
  CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_VERSION" \
    -o "$staging/bin/" ./cmd/pulumi-resource-kubernetes
  cd "$ONPREM_ROOT"
  publish "$staging/bin" "$(dirname "$KUBERNETES_PROVIDER")"
  rm -rf "$staging"
  trap - EXIT
}

# register NAME VERSION BINARY: installs the plugin unless PULUMI_HOME already holds these exact bytes.
register() {
  local name="$1" version="$2" binary="$3"
  if ! cmp -s "$binary" "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"; then
    pulumi plugin install resource "$name" "$version" --file "$binary" --reinstall >/dev/null
    echo "tools: registered resource plugin $name v$version"
  fi
}

if [[ -x "$ONPREM_TOOLS_BIN/pulumi" ]]; then
  echo "tools: cached in $ONPREM_TOOLS_BIN"
else
  build_tools
fi
if [[ -x $KUBERNETES_PROVIDER ]]; then
  echo "tools: kubernetes provider cached in $(dirname "$KUBERNETES_PROVIDER")"
else
  build_kubernetes_provider
fi
# Each plugin is registered as the exact version its npm SDK requests, so the engine never downloads.
for plugin in "$ONPREM_TOOLS_BIN"/pulumi-resource-*; do
  name="${plugin##*/pulumi-resource-}"
  register "$name" "$(node -p "require('$ONPREM_ROOT/node_modules/@pulumi/$name/package.json').version")" "$plugin"
done
register kubernetes "$KUBERNETES_VERSION" "$KUBERNETES_PROVIDER"
pulumi version >/dev/null
# The bundle's push steps run onprem-image on the machine that runs pulumi: it sits beside the engine on PATH.
image_tool="$(bash "$ONPREM_ROOT/scripts/build-images.sh" --tool)"
[[ "$(readlink "$ONPREM_TOOLS_BIN/onprem-image" 2>/dev/null)" == "$image_tool" ]] || ln -sfn "$image_tool" "$ONPREM_TOOLS_BIN/onprem-image"
