# shellcheck shell=bash
# Sourced by the project's scripts: where the tools live and how Pulumi keeps state.
# Every variable can be set beforehand to point the project elsewhere (another backend, cache or passphrase).

ONPREM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ONPREM_ROOT
export ONPREM_CACHE="${ONPREM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/onprem-k8s}"

# The tools are keyed on everything that decides their bytes: the pinned modules, our own Go sources and the Go version.
tools_key() {
  (cd "$ONPREM_ROOT/tools" && { cat go.mod go.sum; find cmd -type f -name '*.go' | sort | xargs cat; go version; } | sha256sum | cut -c1-16)
}
ONPREM_TOOLS_BIN="${ONPREM_TOOLS_BIN:-$ONPREM_CACHE/tools-$(tools_key)/bin}"
export ONPREM_TOOLS_BIN

# The dynamic-provider launcher ships inside the @pulumi/pulumi npm package.
export PATH="$ONPREM_TOOLS_BIN:$ONPREM_ROOT/node_modules/@pulumi/pulumi:$PATH"
# Plugins registered from these tools live beside them, so a rebuilt tool never meets a stale registration.
export PULUMI_HOME="${PULUMI_HOME:-$(dirname "$ONPREM_TOOLS_BIN")/pulumi-home}"
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  mkdir -p "$ONPREM_ROOT/.state"
  export PULUMI_BACKEND_URL="file://$ONPREM_ROOT/.state"
fi
# The example stacks' secrets are encrypted with this passphrase; real sites bring their own secrets provider.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-onprem-k8s-example}"
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Plugins come from their registration in PULUMI_HOME, not from whatever PATH holds.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
