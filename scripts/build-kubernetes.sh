#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet and kube-proxy (module
# tools/kubernetes) and kwok (module tools/kwok) from their pinned Go modules into a cache keyed on those pins, with kwok's default stages in
# ../share/kwok/stages-fast.yaml, packs one reproducible release tarball per group (../release, with SHA256SUMS) and
# prints the bin directory on stdout (everything else goes to stderr):
#   KUBE_BIN="$(scripts/build-kubernetes.sh)"
# An argument names another Kubernetes module, tools/kubernetes-next (the next minor, for the upgrade drill):
#   KUBE_BIN="$(scripts/build-kubernetes.sh tools/kubernetes-next)"
# A second run finds the cache and returns at once. A cold build takes many minutes on 2 cores (docs/kubernetes-binaries.md).
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

export GOFLAGS=-mod=mod GOSUMDB=off CGO_ENABLED=0
# Build like upstream's hack/lib/golang.sh does for non-debug binaries.
KUBE_BUILD_TAGS="selinux,notest,grpcnotrace"
# Bump when the way the binaries or tarballs are made changes, so the cache key changes with it.
KUBE_BUILD_RECIPE="v3 node-release kwok-stages trimpath buildvcs=false -s -w tags=$KUBE_BUILD_TAGS"
KUBE_PLATFORM="$(go env GOOS)-$(go env GOARCH)"
KUBE_MODULE="$ONPREM_ROOT/${1:-tools/kubernetes}"
[[ -f $KUBE_MODULE/go.mod ]] || { echo "build-kubernetes: no Go module at $KUBE_MODULE" >&2; exit 1; }

kube_key() {
  local dir
  {
    for dir in "$KUBE_MODULE" "$ONPREM_ROOT/tools/kwok"; do
      (cd "$dir" && cat go.mod go.sum tools.go)
    done
    go version
    echo "$KUBE_PLATFORM $KUBE_BUILD_RECIPE"
  } | sha256sum | cut -c1-16
}

KUBE_CACHE_DIR="$ONPREM_CACHE/kubernetes-$(kube_key)"
KUBE_VERSION="$(cd "$KUBE_MODULE" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
KWOK_VERSION="$(cd "$ONPREM_ROOT/tools/kwok" && go list -m -f '{{.Version}}' sigs.k8s.io/kwok)"
KUBE_SERVER_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
KUBE_NODE_BINS=(kubelet kube-proxy)

# The same -X flags as upstream's kube::version::ldflags; buildDate is the module's publication time, so the
# binaries are reproducible. No gitCommit: the module proxy does not carry it.
kube_ldflags() {
  local major minor date pkg flags="-s -w"
  major="${KUBE_VERSION#v}"
  major="${major%%.*}"
  minor="${KUBE_VERSION#v*.}"
  minor="${minor%%.*}"
  date="$(cd "$KUBE_MODULE" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=archive -X $pkg.buildDate=$date"
  done
  echo "$flags"
}

# pack TARBALL STAGING SRC=DEST...: a tarball of STAGING/SRC stored as DEST, whose bytes depend only on the files.
pack() {
  local tarball="$1" staging="$2" tree pair
  shift 2
  tree="$(mktemp -d "$ONPREM_CACHE/pack.XXXXXX")"
  for pair in "$@"; do
    mkdir -p "$tree/$(dirname "${pair#*=}")"
    ln "$staging/${pair%%=*}" "$tree/${pair#*=}"
  done
  chmod -R u=rwX,go=rX "$tree"
  (cd "$tree" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf - -- *) |
    gzip -n >"$tarball"
  rm -rf "$tree"
}

# kwok refuses to start without Stage objects: ship its default "fast" stages (as kwokctl configures them) from the
# same module version, for `kwok --config share/kwok/stages-fast.yaml`.
kwok_stages() {
  local dir file
  dir="$(cd "$ONPREM_ROOT/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
  for file in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$dir/$file"
  done
}

build() {
  local pkg
  local -a pkgs=()
  for pkg in "${KUBE_SERVER_BINS[@]}" "${KUBE_NODE_BINS[@]}"; do
    pkgs+=("k8s.io/kubernetes/cmd/$pkg")
  done
  echo "kubernetes: building Kubernetes $KUBE_VERSION (${KUBE_SERVER_BINS[*]} ${KUBE_NODE_BINS[*]}) and kwok $KWOK_VERSION into $KUBE_CACHE_DIR (a cold build takes many minutes)" >&2
  mkdir -p "$ONPREM_CACHE"
  # Global, so the EXIT trap still sees it after a failing command ends the script.
  staging="$(mktemp -d "$ONPREM_CACHE/staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  mkdir -p "$staging/bin" "$staging/release"
  (cd "$KUBE_MODULE" &&
    go build -trimpath -buildvcs=false -tags="$KUBE_BUILD_TAGS" -ldflags "$(kube_ldflags)" -o "$staging/bin/" "${pkgs[@]}")
  (cd "$ONPREM_ROOT/tools/kwok" &&
    go build -trimpath -buildvcs=false -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION#v}" \
      -o "$staging/bin/" sigs.k8s.io/kwok/cmd/kwok)
  chmod 0755 "$staging/bin/"*
  mkdir -p "$staging/share/kwok"
  kwok_stages >"$staging/share/kwok/stages-fast.yaml"
  # Upstream's layouts: kubernetes/server/bin/<binary> and kubernetes/node/bin/<binary>.
  local -a files=()
  for pkg in "${KUBE_SERVER_BINS[@]}"; do
    files+=("bin/$pkg=kubernetes/server/bin/$pkg")
  done
  pack "$staging/release/kubernetes-server-$KUBE_VERSION-$KUBE_PLATFORM.tar.gz" "$staging" "${files[@]}"
  files=()
  for pkg in "${KUBE_NODE_BINS[@]}"; do
    files+=("bin/$pkg=kubernetes/node/bin/$pkg")
  done
  pack "$staging/release/kubernetes-node-$KUBE_VERSION-$KUBE_PLATFORM.tar.gz" "$staging" "${files[@]}"
  pack "$staging/release/kwok-$KWOK_VERSION-$KUBE_PLATFORM.tar.gz" "$staging" \
    bin/kwok=kwok/bin/kwok share/kwok/stages-fast.yaml=kwok/share/kwok/stages-fast.yaml
  (cd "$staging/release" && sha256sum -- *.tar.gz >SHA256SUMS)
  # Publish the finished directory in one rename so an interrupted build never looks cached.
  # If a concurrent run published first, its identical result stays and ours is dropped by the trap.
  if mv -T "$staging" "$KUBE_CACHE_DIR" 2>/dev/null; then
    trap - EXIT
  fi
}

if [[ -x "$KUBE_CACHE_DIR/bin/kwok" && -x "$KUBE_CACHE_DIR/bin/kubelet" && -f "$KUBE_CACHE_DIR/share/kwok/stages-fast.yaml" && -f "$KUBE_CACHE_DIR/release/SHA256SUMS" ]]; then
  echo "kubernetes: cached in $KUBE_CACHE_DIR" >&2
else
  build
fi
while read -r sum file; do
  echo "kubernetes: release $KUBE_CACHE_DIR/release/$file sha256 $sum" >&2
done <"$KUBE_CACHE_DIR/release/SHA256SUMS"
echo "$KUBE_CACHE_DIR/bin"
