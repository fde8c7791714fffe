#!/usr/bin/env bash
set -euo pipefail
STEP='node packages lab-w1'
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

if ! dpkg -s containerd runc containernetworking-plugins iptables conntrack >/dev/null 2>&1; then
put_file /etc/apt/sources.list.d/onprem-k8s.list 0644 <<'ONPREM_K8S_EOF'
deb [trusted=yes] http://172.31.250.1:8080/apt ./
ONPREM_K8S_EOF
only_ours=(-o Dir::Etc::sourcelist=sources.list.d/onprem-k8s.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
apt-get "${only_ours[@]}" update -qq || fail "cannot read the apt source deb [trusted=yes] http://172.31.250.1:8080/apt ./"
DEBIAN_FRONTEND=noninteractive apt-get "${only_ours[@]}" install -y -qq --no-install-recommends containerd runc containernetworking-plugins iptables conntrack >/dev/null || fail "cannot install containerd, runc, containernetworking-plugins, iptables and conntrack"
fi
mkdir -p /opt/cni/bin
for plugin in bridge host-local loopback portmap; do
  [[ -L /opt/cni/bin/$plugin ]] || ln -sfn /usr/lib/cni/$plugin /opt/cni/bin/$plugin
done
echo "node packages lab-w1: containerd $(dpkg-query -W -f='${Version}' containerd), runc $(dpkg-query -W -f='${Version}' runc)"
