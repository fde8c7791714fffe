#!/usr/bin/env bash
# Builds actionlint (module tools/actionlint) into a cache keyed on its pins and the Go version, and prints
# the binary's path on stdout (everything else goes to stderr):
#   ACTIONLINT="$(scripts/build-actionlint.sh)"
# A second run finds the cache and returns at once.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

module="$ONPREM_ROOT/tools/actionlint"
key="$(cd "$module" && { cat go.mod go.sum tools.go; go version; } | sha256sum | cut -c1-16)"
bin="$ONPREM_CACHE/actionlint-$key/actionlint"

if [[ -x "$bin" ]]; then
  echo "actionlint: cached in $bin" >&2
else
  echo "actionlint: building it into $bin" >&2
  mkdir -p "$ONPREM_CACHE"
  staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  # go.sum pins every module hash, so the checksum database is not needed; actionlint reads its version from the build info.
  (cd "$module" && GOFLAGS=-mod=mod GOSUMDB=off go build -trimpath -ldflags "-s -w" -o "$staging/" github.com/rhysd/actionlint/cmd/actionlint)
  # Publish in one rename so an interrupted build never looks cached; a concurrent identical build may win.
  mv -T "$staging" "$(dirname "$bin")" 2>/dev/null || true
  [[ -x "$bin" ]]
fi
echo "$bin"
