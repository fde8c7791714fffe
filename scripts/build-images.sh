#!/usr/bin/env bash
# Builds the offline image bundle from images/recipes.json (docs/images.md) and prints its directory on stdout
# (progress goes to stderr):
#   BUNDLE="$(scripts/build-images.sh)"     one oci-archive per image plus bundle.json
#   TOOL="$(scripts/build-images.sh --tool)" builds only onprem-image and prints its path
#   scripts/build-images.sh --lock          resolves the Debian packages again and rewrites images/debian.lock
# The bundle is cached under $ONPREM_CACHE/images-<key>, the key a hash of everything that decides its bytes; each
# image's file tree is cached on its own key under $ONPREM_CACHE/images-rootfs, the .deb files under
# $ONPREM_CACHE/debs, so a rebuild with the same pins needs no network. A second run returns in seconds.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

export GOFLAGS=-mod=mod GOSUMDB=off
RECIPES="$ONPREM_ROOT/images/recipes.json"
LOCK="$ONPREM_ROOT/images/debian.lock"
TOOL_MODULE="$ONPREM_ROOT/tools/images"
# Bump when the way this script builds changes, so every cache key changes with it.
RECIPE_FORMAT="images-v1"
DEFAULT_PATH="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Left out of every file tree: documentation, manuals and translations.
DROP_PATHS=(usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/lintian usr/share/bug)

log() { echo "images: $*" >&2; }
die() {
  echo "images: $*" >&2
  exit 1
}

# The build's own tools, from Debian when missing: jq reads the recipes, gcc and libc6-dev compile pause and link
# flanneld statically, setcap sets file capabilities.
ensure_host_tools() {
  local -a missing=()
  command -v jq >/dev/null || missing+=(jq)
  command -v gcc >/dev/null || missing+=(gcc)
  [[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
  command -v setcap >/dev/null || [[ -x /usr/sbin/setcap ]] || missing+=(libcap2-bin)
  command -v dpkg-deb >/dev/null || die "dpkg-deb is missing: this script runs on Debian"
  if ((${#missing[@]})); then
    log "installing ${missing[*]} from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      die "could not install ${missing[*]} (run apt-get update first)"
  fi
}
SETCAP="$(command -v setcap || echo /usr/sbin/setcap)"

sha() { sha256sum | cut -c1-16; }

# module_sources DIR: the go.mod, go.sum and Go files of the module in DIR, without nested modules.
module_sources() {
  local dir="$1"
  (cd "$dir" && find . -type d ! -path . -exec test -e '{}/go.mod' ';' -prune -o -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print |
    LC_ALL=C sort | while read -r f; do
      echo "== $f"
      cat "$f"
    done)
}

tool_key() { { echo "$RECIPE_FORMAT"; module_sources "$TOOL_MODULE"; go version; } | sha; }

TOOL_DIR="$ONPREM_CACHE/images-tool-$(tool_key)"
TOOL="$TOOL_DIR/onprem-image"

build_tool() {
  [[ -x "$TOOL" ]] && return 0
  log "building onprem-image into $TOOL_DIR"
  mkdir -p "$ONPREM_CACHE"
  local staging
  staging="$(mktemp -d "$ONPREM_CACHE/images-tool.XXXXXX")"
  (cd "$TOOL_MODULE" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$staging/onprem-image" ./cmd/onprem-image) ||
    {
      rm -rf "$staging"
      die "building onprem-image failed"
    }
  chmod 0755 "$staging"
  mv -T "$staging" "$TOOL_DIR" 2>/dev/null || rm -rf "$staging"
}

# ---- Debian packages -------------------------------------------------------------------------------------------

# lock_rows ROOTFS KIND: "package version arch sha256" for the rootfs's pinned packages of KIND (closure or file).
lock_rows() {
  [[ -f "$LOCK" ]] || die "images/debian.lock is missing: run scripts/build-images.sh --lock"
  awk -v r="$1" -v k="$2" '$1 == r && $2 == k { print $3, $4, $5, $6 }' "$LOCK"
}

DEB_CACHE="$ONPREM_CACHE/debs"

# fetch_deb PACKAGE VERSION ARCH SHA256: prints the path of the cached .deb, downloading it once.
fetch_deb() {
  local pkg="$1" version="$2" arch="$3" sum="$4" file tmp got
  file="$DEB_CACHE/${pkg}_${version//:/%3a}_${arch}.deb"
  if [[ ! -f "$file" ]]; then
    mkdir -p "$DEB_CACHE"
    tmp="$(mktemp -d "$DEB_CACHE/.download.XXXXXX")"
    if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version" >/dev/null 2>&1); then
      rm -rf "$tmp"
      die "apt does not serve $pkg=$version, pinned in images/debian.lock: run apt-get update, or pin what apt serves now with scripts/build-images.sh --lock"
    fi
    mv "$tmp"/*.deb "$file.part"
    rm -rf "$tmp"
    mv "$file.part" "$file"
  fi
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  if [[ "$got" != "$sum" ]]; then
    rm -f "$file"
    die "$pkg=$version: the downloaded .deb hashes to $got, images/debian.lock pins $sum"
  fi
  echo "$file"
}

# ---- Rootfs --------------------------------------------------------------------------------------------------

steps() { jq -c --arg id "$1" '.rootfs[$id].steps[]' "$RECIPES"; }

rootfs_key() {
  local id="$1" step dir
  {
    echo "$RECIPE_FORMAT"
    jq -c --arg id "$id" '.rootfs[$id]' "$RECIPES"
    [[ -f "$LOCK" ]] && awk -v r="$id" '$1 == r' "$LOCK"
    go version
    while read -r step; do
      case "$(jq -r 'keys_unsorted[0]' <<<"$step")" in
        go)
          module_sources "$ONPREM_ROOT/$(jq -r '.go.moduleDir' <<<"$step")"
          [[ "$(jq -r '.go.cgo' <<<"$step")" == true ]] && dpkg-query -W gcc libc6-dev
          ;;
        goInstall) [[ "$(jq -r '.goInstall.cgo' <<<"$step")" == true ]] && dpkg-query -W gcc libc6-dev ;;
        cc)
          (cd "$ONPREM_ROOT/$(jq -r '.cc.moduleDir' <<<"$step")" && cat go.mod)
          dpkg-query -W gcc libc6-dev
          ;;
        files)
          dir="$(jq -r '.files' <<<"$step")"
          (cd "$ONPREM_ROOT" && find "$dir" \( -type f -o -type l \) | LC_ALL=C sort | while read -r f; do
            stat -c '%n %A' "$f"
            if [[ -L "$f" ]]; then readlink "$f"; else sha256sum <"$f"; fi
          done)
          ;;
      esac
    done < <(steps "$id")
  } | sha
}

step_debian() {
  local id="$1" root="$2" pkg version arch sum n=0
  while read -r pkg version arch sum; do
    dpkg-deb -x "$(fetch_deb "$pkg" "$version" "$arch" "$sum")" "$root"
    n=$((n + 1))
  done < <(lock_rows "$id" closure)
  ((n > 0)) || die "rootfs $id: no Debian packages pinned in images/debian.lock: run scripts/build-images.sh --lock"
}

# deb_of ROOTFS PACKAGE: the cached .deb of a package pinned on its own (kind file).
deb_of() {
  local row
  row="$(lock_rows "$1" file | awk -v p="$2" '$1 == p')"
  [[ -n "$row" ]] || die "rootfs $1: $2 is not pinned in images/debian.lock: run scripts/build-images.sh --lock"
  # shellcheck disable=SC2086 # the row's four fields
  fetch_deb $row
}

step_deb() {
  local id="$1" root="$2" step="$3" tmp src dst
  tmp="$(mktemp -d "$WORK/deb.XXXXXX")"
  dpkg-deb -x "$(deb_of "$id" "$(jq -r '.deb.package' <<<"$step")")" "$tmp"
  while IFS=$'\t' read -r src dst; do
    [[ -e "$tmp/$src" ]] || die "rootfs $id: $(jq -r '.deb.package' <<<"$step") has no $src"
    mkdir -p "$(dirname "$root/$dst")"
    cp -a "$tmp/$src" "$root/$dst"
  done < <(jq -r '.deb.extract | to_entries[] | [.key, .value] | @tsv' <<<"$step")
  rm -rf "$tmp"
}

# The CA bundle update-ca-certificates would write, from Debian's ca-certificates (its maintainer script never runs).
step_ca() {
  local id="$1" root="$2" tmp
  tmp="$(mktemp -d "$WORK/ca.XXXXXX")"
  dpkg-deb -x "$(deb_of "$id" ca-certificates)" "$tmp"
  mkdir -p "$root/etc/ssl/certs"
  find "$tmp/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
  chmod 0644 "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$tmp"
}

step_go() {
  local root="$1" step="$2" dir
  dir="$ONPREM_ROOT/$(jq -r '.go.moduleDir' <<<"$step")"
  mkdir -p "$(dirname "$root/$(jq -r '.go.out' <<<"$step")")"
  (cd "$dir" && CGO_ENABLED="$(jq -r 'if .go.cgo then 1 else 0 end' <<<"$step")" \
    go build -trimpath -buildvcs=false -ldflags "$(jq -r '.go.ldflags' <<<"$step")" \
    -o "$root/$(jq -r '.go.out' <<<"$step")" "$(jq -r '.go.package' <<<"$step")")
}

step_go_install() {
  local root="$1" step="$2" bin out
  bin="$(mktemp -d "$WORK/gobin.XXXXXX")"
  out="$root/$(jq -r '.goInstall.out' <<<"$step")"
  # `go install PKG@VERSION` builds with the module's own go.mod and go.sum; -mod does not apply to it.
  (cd "$WORK" && GOFLAGS='' GOBIN="$bin" CGO_ENABLED="$(jq -r 'if .goInstall.cgo then 1 else 0 end' <<<"$step")" \
    go install -trimpath -buildvcs=false -ldflags "$(jq -r '.goInstall.ldflags' <<<"$step")" "$(jq -r '.goInstall.package' <<<"$step")")
  mkdir -p "$(dirname "$out")"
  mv "$bin/$(jq -r '.goInstall.binary' <<<"$step")" "$out"
  rm -rf "$bin"
}

step_cc() {
  local root="$1" step="$2" moddir src tmp
  moddir="$ONPREM_ROOT/$(jq -r '.cc.moduleDir' <<<"$step")"
  src="$(cd "$moddir" && go mod download "$(jq -r '.cc.module' <<<"$step")" && go list -m -f '{{.Dir}}' "$(jq -r '.cc.module' <<<"$step")")/$(jq -r '.cc.source' <<<"$step")"
  [[ -f "$src" ]] || die "$src is not in the module"
  tmp="$(mktemp -d "$WORK/cc.XXXXXX")"
  cp "$src" "$tmp/"
  local -a flags
  mapfile -t flags < <(jq -r '.cc.flags[]' <<<"$step")
  (cd "$tmp" && gcc "${flags[@]}" -o "$root/$(jq -r '.cc.out' <<<"$step")" "$(basename "$src")")
  rm -rf "$tmp"
}

step_files() {
  local root="$1" dir="$ONPREM_ROOT/$2" f
  [[ -d "$dir" ]] || die "$2 is not a directory"
  (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort) | while read -r f; do
    if [[ -d "$dir/$f" && ! -L "$dir/$f" ]]; then
      mkdir -p "$root/$f"
      chmod 0755 "$root/$f"
    else
      rm -rf "${root:?}/$f"
      cp -P "$dir/$f" "$root/$f"
      [[ -L "$root/$f" ]] || chmod u=rw,go=r"$([[ -x "$dir/$f" ]] && echo ,a+x)" "$root/$f"
    fi
  done
}

build_rootfs() {
  local id="$1" dest="$2" staging root step kind start=$SECONDS
  staging="$(mktemp -d "$WORK/rootfs.XXXXXX")"
  root="$staging/root"
  mkdir -p "$root"
  chmod 0755 "$root"
  while read -r step; do
    kind="$(jq -r 'keys_unsorted[0]' <<<"$step")"
    case "$kind" in
      debian) step_debian "$id" "$root" ;;
      deb) step_deb "$id" "$root" "$step" ;;
      caCertificates) step_ca "$id" "$root" ;;
      go) step_go "$root" "$step" ;;
      goInstall) step_go_install "$root" "$step" ;;
      cc) step_cc "$root" "$step" ;;
      files) step_files "$root" "$(jq -r '.files' <<<"$step")" ;;
      setcap) "$SETCAP" "$(jq -r '.setcap.caps' <<<"$step")" "$root/$(jq -r '.setcap.path' <<<"$step")" ;;
      symlink)
        while IFS=$'\t' read -r path target; do
          mkdir -p "$(dirname "$root/$path")"
          ln -sfn "$target" "$root/$path"
        done < <(jq -r '.symlink | to_entries[] | [.key, .value] | @tsv' <<<"$step")
        ;;
      mkdir)
        while IFS=$'\t' read -r path mode; do
          mkdir -p "$root/$path"
          chmod "$mode" "$root/$path"
        done < <(jq -r '.mkdir | to_entries[] | [.key, .value] | @tsv' <<<"$step")
        ;;
      passwd)
        mkdir -p "$root/etc"
        jq -r '.passwd[]' <<<"$step" >"$root/etc/passwd"
        jq -r '.group[]' <<<"$step" >"$root/etc/group"
        chmod 0644 "$root/etc/passwd" "$root/etc/group"
        ;;
      *) die "rootfs $id: unknown step $kind" ;;
    esac
  done < <(steps "$id")
  local p
  for p in "${DROP_PATHS[@]}"; do
    rm -rf "${root:?}/$p"
  done
  mv -T "$staging" "$dest" 2>/dev/null || rm -rf "$staging"
  log "rootfs $id built in $((SECONDS - start)) s ($(du -sh "$dest/root" | cut -f1))"
}

# ---- Lock ------------------------------------------------------------------------------------------------------

# resolve ROOTFS ASSUMED PACKAGE...: "package version arch" of the closure apt would install on an empty system
# where only ASSUMED (comma-separated) is installed; this machine's own dpkg state is never read or touched.
# An assumed package that apt would still upgrade prints as "Inst NAME [OLD] (NEW ...)" and is left out.
resolve() {
  local id="$1" assumed="$2" status pkg version arch
  shift 2
  status="$(mktemp "$WORK/status.XXXXXX")"
  for pkg in ${assumed//,/ }; do
    read -r version arch < <(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ { v = $2 } /^Architecture:/ { a = $2 } END { print v, a }')
    [[ -n "$version" ]] || die "rootfs $id: apt knows no package $pkg"
    printf 'Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: %s\n\n' "$pkg" "$version" "$arch" >>"$status"
  done
  apt-get install -s -qq --no-install-recommends -o Dir::State::status="$status" -o Dir::State::extended_states="$status.ext" \
    -o Debug::NoLocking=1 "$@" 2>&1 |
    sed -n -e 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([a-z0-9]*\)\]).*/\1 \2 \3/p' -e 's/^E: /error /p' ||
    die "rootfs $id: apt cannot resolve $*"
}

lock_row() {
  local id="$1" kind="$2" pkg="$3" version="$4" arch="$5" sum
  sum="$(apt-cache show "$pkg=$version" | awk '/^SHA256:/ { print $2; exit }')"
  [[ -n "$sum" ]] || die "apt has no SHA256 for $pkg=$version"
  echo "$id $kind $pkg $version $arch $sum"
}

write_lock() {
  local id step pkg version arch out
  out="$(mktemp "$WORK/lock.XXXXXX")"
  {
    echo "# Debian packages of the image bundle, pinned: rootfs, kind (closure: extracted with the debian step;"
    echo "# file: a package read on its own), package, version, architecture, sha256 of the .deb."
    echo "# Written by scripts/build-images.sh --lock from images/recipes.json; a build fails if apt no longer serves a pin."
  } >"$out"
  for id in $(jq -r '.rootfs | keys[]' "$RECIPES"); do
    while read -r step; do
      case "$(jq -r 'keys_unsorted[0]' <<<"$step")" in
        debian)
          local -a pkgs
          mapfile -t pkgs < <(jq -r '.debian.packages[]' <<<"$step")
          resolve "$id" "$(jq -r '.debian.assumeInstalled // [] | join(",")' <<<"$step")" "${pkgs[@]}" |
            LC_ALL=C sort | while read -r pkg version arch; do
            [[ "$pkg" == error ]] && die "rootfs $id: $version $arch"
            lock_row "$id" closure "$pkg" "$version" "$arch"
          done
          ;;
        deb | caCertificates)
          pkg="$(jq -r '.deb.package // "ca-certificates"' <<<"$step")"
          read -r version arch < <(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ { v = $2 } /^Architecture:/ { a = $2 } END { print v, a }')
          [[ -n "$version" ]] || die "rootfs $id: apt knows no package $pkg"
          lock_row "$id" file "$pkg" "$version" "$arch"
          ;;
      esac
    done < <(steps "$id")
  done | LC_ALL=C sort -u >>"$out"
  mv "$out" "$LOCK"
  log "wrote images/debian.lock ($(grep -vc '^#' "$LOCK") pins)"
}

# ---- Bundle ----------------------------------------------------------------------------------------------------

safe_name() { tr '/:@' '___' <<<"$1"; }

bundle_key() {
  local id
  {
    echo "$RECIPE_FORMAT"
    tool_key
    jq -c '.images' "$RECIPES"
    for id in $(jq -r '.rootfs | keys[]' "$RECIPES"); do
      echo "$id $(rootfs_key "$id")"
    done
  } | sha
}

build_bundle() {
  local dest="$1" staging id rootfs name start digest out file size
  staging="$(mktemp -d "$WORK/bundle.XXXXXX")"
  mkdir -p "$ONPREM_CACHE/images-rootfs"
  for id in $(jq -r '[.images[].rootfs] | unique[]' "$RECIPES"); do
    [[ "$(jq -r --arg id "$id" '.rootfs | has($id)' "$RECIPES")" == true ]] || die "an image names rootfs $id, which images/recipes.json does not define"
    rootfs="$ONPREM_CACHE/images-rootfs/$id-$(rootfs_key "$id")"
    if [[ -d "$rootfs/root" ]]; then
      log "rootfs $id cached in $rootfs"
    else
      log "building rootfs $id"
      build_rootfs "$id" "$rootfs"
    fi
  done
  local entries="[]"
  while read -r image; do
    name="$(jq -r '.name' <<<"$image")"
    id="$(jq -r '.rootfs' <<<"$image")"
    rootfs="$ONPREM_CACHE/images-rootfs/$id-$(rootfs_key "$id")"
    file="$(safe_name "$name").tar"
    local -a args=(build --name "$name" --out "$staging/$file" --layer "$rootfs/root")
    jq -e '.entrypoint' >/dev/null <<<"$image" && args+=(--entrypoint "$(jq -c '.entrypoint' <<<"$image")")
    jq -e '.cmd' >/dev/null <<<"$image" && args+=(--cmd "$(jq -c '.cmd' <<<"$image")")
    jq -e '.env // [] | any(startswith("PATH="))' >/dev/null <<<"$image" || args+=(--env "$DEFAULT_PATH")
    while read -r v; do args+=(--env "$v"); done < <(jq -r '.env // [] | .[]' <<<"$image")
    while read -r v; do args+=(--port "$v"); done < <(jq -r '.ports // [] | .[]' <<<"$image")
    jq -e '.workdir' >/dev/null <<<"$image" && args+=(--workdir "$(jq -r '.workdir' <<<"$image")")
    jq -e '.user' >/dev/null <<<"$image" && args+=(--user "$(jq -r '.user' <<<"$image")")
    start=$SECONDS
    read -r out digest < <("$TOOL" "${args[@]}") || die "image $name: onprem-image build failed"
    [[ "$("$TOOL" digest "$staging/$file")" == "$digest" ]] || die "image $name: the archive does not verify"
    size="$(stat -c %s "$staging/$file")"
    log "image $out $digest $size bytes ($((SECONDS - start)) s)"
    entries="$(jq -c --arg n "$out" --arg a "$file" --arg d "$digest" --argjson s "$size" '. + [{name: $n, archive: $a, digest: $d, size: $s}]' <<<"$entries")"
  done < <(jq -c '.images[]' "$RECIPES")
  jq '{images: sort_by(.name)}' <<<"$entries" >"$staging/bundle.json"
  chmod 0644 "$staging"/*
  chmod 0755 "$staging"
  # Publish the finished directory in one rename so an interrupted build never looks cached.
  mv -T "$staging" "$dest" 2>/dev/null || rm -rf "$staging"
}

mode="bundle"
case "${1:-}" in
  "") ;;
  --tool) mode=tool ;;
  --lock) mode=lock ;;
  -h | --help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument $1 (--tool, --lock or none)" ;;
esac

if [[ "$mode" == tool ]]; then
  build_tool
  echo "$TOOL"
  exit 0
fi

ensure_host_tools
mkdir -p "$ONPREM_CACHE"
WORK="$(mktemp -d "$ONPREM_CACHE/images-work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [[ "$mode" == lock ]]; then
  write_lock
  exit 0
fi

BUNDLE_DIR="$ONPREM_CACHE/images-$(bundle_key)"
if [[ -f "$BUNDLE_DIR/bundle.json" ]]; then
  log "cached in $BUNDLE_DIR"
else
  build_tool
  log "building the bundle into $BUNDLE_DIR (a cold build takes many minutes: Traefik and the other Go programs)"
  build_bundle "$BUNDLE_DIR"
fi
jq -r '.images[] | "images: \(.name) \(.digest) \(.size) bytes"' "$BUNDLE_DIR/bundle.json" >&2
echo "$BUNDLE_DIR"
