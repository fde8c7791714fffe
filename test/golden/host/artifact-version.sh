#!/usr/bin/env bash
set -euo pipefail
STEP='install kubernetes'
# shellcheck disable=SC2034 # as below
CHANGED=0
CHANGED_FILES=()
fail() { echo "onprem-k8s: $STEP on $(hostname): $*" >&2; exit 1; }
# shellcheck disable=SC2034 # CHANGED is read by the steps that restart on change
put_file() {
  local dest=$1 mode=$2 new
  mkdir -p "$(dirname "$dest")"
  new=$(mktemp "$dest.new.XXXXXX")
  cat >"$new"
  chmod "$mode" "$new"
  if [[ -f $dest ]] && cmp -s "$new" "$dest"; then rm -f "$new"; return 0; fi
  if [[ -f $dest ]]; then cp -p "$dest" "$dest.bak"; else rm -f "$dest.bak"; fi
  mv -f "$new" "$dest"
  CHANGED=1
  CHANGED_FILES+=("$dest")
}
restore_files() {
  local dest
  for dest in "${CHANGED_FILES[@]}"; do
    if [[ -f $dest.bak ]]; then mv -f "$dest.bak" "$dest"; else rm -f "$dest"; fi
  done
}
retry() {
  local times=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= times; i++)); do
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}

file=/var/cache/onprem-k8s/artifacts/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
mkdir -p /var/cache/onprem-k8s/artifacts
if [[ ! -f $file ]]; then
  curl -fsSL --retry 3 -o "$file.part" http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz || fail "cannot download kubernetes from http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz"
  mv -f "$file.part" "$file"
fi
actual=$(sha256sum "$file" | cut -d' ' -f1)
if [[ $actual != dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd ]]; then
  rm -f "$file"
  fail "checksum mismatch for kubernetes: expected dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd, got $actual; the installed binaries are unchanged"
fi
# Unpack beside the previous release and switch the links only when every binary is there.
release=/opt/onprem-k8s/kubernetes/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
if [[ ! -d $release ]]; then
  mkdir -p /opt/onprem-k8s/kubernetes
  unpack=$(mktemp -d "/opt/onprem-k8s/kubernetes/.unpack.XXXXXX")
  tar -xzf "$file" -C "$unpack" || { rm -rf "$unpack"; fail "kubernetes is not a readable .tar.gz"; }
  mkdir -p "$unpack/bin"
  for binary in kube-apiserver kubectl; do
    found=$(find "$unpack" -type f -name "$binary" ! -path "$unpack/bin/*" | head -n 1)
    [[ -n $found ]] || { rm -rf "$unpack"; fail "kubernetes has no file named $binary"; }
    install -m 0755 "$found" "$unpack/bin/$binary"
  done
  mv -T "$unpack" "$release"
fi
printed=$("$release/bin/kube-apiserver" --version 2>&1 | head -n 1)
if [[ $printed != 'Kubernetes v1.35.4' ]]; then
  fail "artifacts.kubernetes holds \"$printed\", but versions.kubernetes asks for \"Kubernetes v1.35.4\": give that release's path or url and sha256, or set versions.kubernetes to the release's; the installed binaries are unchanged"
fi
for binary in kube-apiserver kubectl; do
  ln -sfn "$release/bin/$binary" "/usr/local/bin/.$binary.new"
  mv -T "/usr/local/bin/.$binary.new" "/usr/local/bin/$binary"
done
echo "kubernetes dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd installed: kube-apiserver kubectl"
