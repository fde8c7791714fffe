#!/usr/bin/env bash
# Create (idempotently) and start the lab: Debian packages, cached base rootfs,
# SSH key, bridge, apt/artifact mirror, and N systemd-nspawn hosts.
# A second run while the lab is up changes nothing and returns in seconds.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages() {
  local p missing=()
  for p in systemd-container debootstrap debian-archive-keyring iproute2 dpkg-dev \
    apt-utils openssh-client python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  log "installing ${missing[*]}"
  mkdir -p "$LAB_DIR"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } \
    >"$LAB_DIR/apt-install.log" 2>&1 || die "apt-get failed, see $LAB_DIR/apt-install.log"
}

# The Debian mirror this machine already uses (one-line or deb822 sources).
debian_mirror() {
  local uri
  if [[ -n $LAB_DEBIAN_MIRROR ]]; then echo "$LAB_DEBIAN_MIRROR"; return; fi
  uri=$(awk -v s="$LAB_SUITE" '$1 == "deb" { for (i = 2; i < NF; i++)
          if ($i ~ /^https?:/ && $(i + 1) == s) { print $i; exit } }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk -v s="$LAB_SUITE" 'BEGIN { RS = ""; FS = "\n" }
        { u = ""; ok = 0
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u = a[2] }
            if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
          }
          if (ok && u != "") { print u; exit } }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Unmount whatever a killed earlier run left mounted below DIR, deepest first.
umount_below() {
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" || umount -l "$m"
  done
}

write_if_changed() { # PATH CONTENT
  if ! printf '%s\n' "$2" | cmp -s - "$1" 2>/dev/null; then
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1"
  fi
}

ensure_key() {
  mkdir -p "$LAB_DIR/ssh" && chmod 700 "$LAB_DIR/ssh"
  [[ -f $LAB_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C onprem-k8s-lab -f "$LAB_KEY"
  chmod 600 "$LAB_KEY"
}

prepare_base() {
  local r=$1
  # Empty machine-id: each host generates (and keeps, in its overlay) its own.
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id" "$r/etc/hostname" "$r"/etc/ssh/ssh_host_*
  # Host keys are made on each host's first boot, never shared.
  cat >"$r/etc/systemd/system/lab-ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate this host's own SSH host keys on first boot
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=ssh.service multi-user.target
EOF
  systemctl --root="$r" enable systemd-networkd lab-ssh-hostkeys.service >/dev/null 2>&1
  # Nothing to fetch from the internet inside the lab.
  systemctl --root="$r" mask apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
  echo '# the lab has no DNS; hosts are in /etc/hosts' >"$r/etc/resolv.conf"
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$LAB_KEY.pub" "$r/root/.ssh/authorized_keys"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*_*
}

ensure_base() {
  local top=$LAB_DIR/base/$BASE_ID mirror
  if [[ -f $top/ready ]]; then
    # The key may have been recreated since the base was built.
    cmp -s "$LAB_KEY.pub" "$BASE/root/.ssh/authorized_keys" ||
      install -m 600 "$LAB_KEY.pub" "$BASE/root/.ssh/authorized_keys"
    return
  fi
  mirror=$(debian_mirror)
  log "building base $BASE_ID: debootstrap $LAB_SUITE from $mirror (about a minute)"
  umount_below "$top.tmp"
  rm -rf --one-file-system "$top.tmp"
  mkdir -p "$top.tmp"
  debootstrap --variant=minbase --include="${LAB_BASE_PACKAGES// /,}" \
    "$LAB_SUITE" "$top.tmp/rootfs" "$mirror" >"$LAB_DIR/base/$BASE_ID.log" 2>&1 ||
    die "debootstrap failed, see $LAB_DIR/base/$BASE_ID.log"
  prepare_base "$top.tmp/rootfs"
  # shellcheck disable=SC2086 # word list
  printf '%s\n' $LAB_BASE_PACKAGES >"$top.tmp/packages"
  touch "$top.tmp/ready"
  mv "$top.tmp" "$top"
  log "base ready ($(du -sh "$BASE" | cut -f1))"
}

# Flat apt repo with LAB_MIRROR_PACKAGES and exactly the dependencies a fresh
# host lacks: apt resolves them inside a throwaway overlay of the base itself.
ensure_apt_mirror() {
  local stamp t=$LAB_DIR/tmp/apt-mirror new=$LAB_DIR/mirror/apt.new
  # shellcheck disable=SC2086 # word list
  stamp=$(printf '%s\n' "$BASE_ID" $LAB_MIRROR_PACKAGES | sha256sum | cut -c1-12)
  [[ $(cat "$LAB_DIR/mirror/apt/.stamp" 2>/dev/null) == "$stamp" ]] && return
  log "apt mirror: downloading $LAB_MIRROR_PACKAGES and dependencies"
  umount_below "$t"
  rm -rf --one-file-system "$t" "$new"
  mkdir -p "$t/upper" "$t/work" "$t/root" "$new"
  mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$t/upper,workdir=$t/work" "$t/root"
  if ! systemd-nspawn -q -D "$t/root" --register=no --keep-unit --resolv-conf=copy-host \
    --timezone=off --link-journal=no --pipe /bin/sh -ec \
    "apt-get update -q; apt-get install -y -q --download-only $LAB_MIRROR_PACKAGES" \
    >"$LAB_DIR/mirror-build.log" 2>&1 </dev/null; then
    umount "$t/root"
    die "apt download failed, see $LAB_DIR/mirror-build.log"
  fi
  cp "$t"/root/var/cache/apt/archives/*.deb "$new/"
  umount "$t/root"
  rm -rf --one-file-system "$t"
  (cd "$new" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null &&
    gzip -9kn Packages && apt-ftparchive release . >Release)
  echo "$stamp" >"$new/.stamp"
  rm -rf "$LAB_DIR/mirror/apt"
  mv "$new" "$LAB_DIR/mirror/apt"
  log "apt mirror: $(find "$LAB_DIR/mirror/apt" -name '*.deb' | wc -l) packages"
}

ensure_bridge() {
  if ! ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip link add "$LAB_BRIDGE" type bridge
    echo "$LAB_BRIDGE" >"$LAB_DIR/bridge" # ours: down.sh removes it
  fi
  ip -4 -o addr show dev "$LAB_BRIDGE" | grep -qF " $LAB_BRIDGE_ADDR " ||
    ip addr add "$LAB_BRIDGE_ADDR" dev "$LAB_BRIDGE"
  ip link set "$LAB_BRIDGE" up
}

ensure_mirror_server() {
  local py=/usr/bin/python3 i
  mkdir -p "$LAB_DIR/mirror/artifacts"
  mirror_running && return
  [[ -x $py ]] || py=python3
  # The child records its own PID (setsid may fork), then becomes the server.
  # shellcheck disable=SC2016 # expanded by the child shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$LAB_DIR/mirror.pid" \
    "$py" -m http.server --bind "$LAB_GW" --directory "$LAB_DIR/mirror" "$LAB_MIRROR_PORT" \
    </dev/null >>"$LAB_DIR/mirror.log" 2>&1 9>&- &
  for ((i = 0; i < 50; i++)); do
    timeout 1 bash -c ": </dev/tcp/$LAB_GW/$LAB_MIRROR_PORT" 2>/dev/null && return
    sleep 0.2
  done
  die "mirror did not start, see $LAB_DIR/mirror.log"
}

host_files() { # NAME ADDR: identity files written into the host's overlay
  local root h hosts
  root=$(host_dir "$1")/root
  hosts=$'127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback'
  hosts+=$'\n'"$LAB_GW	lab-gw"
  for h in $LAB_HOSTS $LAB_NODES; do hosts+=$'\n'"$(host_addr "$h")	$h"; done
  write_if_changed "$root/etc/hostname" "$1"
  write_if_changed "$root/etc/hosts" "$hosts"
  write_if_changed "$root/etc/systemd/network/10-host0.network" "[Match]
Name=host0

[Network]
Address=$2/$LAB_PREFIXLEN
Gateway=$LAB_GW
# IPv4 only: waiting for IPv6 router adverts that never come keeps the link
# \"configuring\" and network-online.target (haproxy, keepalived) blocked.
LinkLocalAddressing=no
IPv6AcceptRA=no"
  write_if_changed "$root/etc/apt/sources.list" "$LAB_APT_LINE"
  if is_node "$1"; then node_files "$root"; fi
}

# A node host's runtime writes cgroups, which nspawn mounts read-only, and its mounts must propagate to the
# containers (kubelet volumes): a oneshot unit makes both so before anything else starts.
node_files() {
  # CoreDNS forwards what is not the cluster's to the node's resolvers and refuses to start without one; the lab has
  # no DNS server, so names outside the cluster go to the gateway and are not answered.
  write_if_changed "$1/etc/resolv.conf" "nameserver $LAB_GW"
  write_if_changed "$1/etc/systemd/system/lab-node-mounts.service" "[Unit]
Description=Writable cgroup controllers and shared mounts for a container runtime in this lab host
DefaultDependencies=no
Before=sysinit.target containerd.service kubelet.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for d in /sys/fs/cgroup/*/; do if mountpoint -q \"\$d\"; then mount -o remount,bind,rw \"\$d\"; fi; done; mount --make-rshared /'
[Install]
WantedBy=sysinit.target"
  # A container's first process ignores SIGTERM unless it handles it: without this, poweroff waits 90 s per container.
  write_if_changed "$1/etc/systemd/system.conf.d/lab-stop.conf" "[Manager]
DefaultTimeoutStopSec=5s"
  mkdir -p "$1/etc/systemd/system/sysinit.target.wants"
  ln -sfn ../lab-node-mounts.service "$1/etc/systemd/system/sysinit.target.wants/lab-node-mounts.service"
}

# A kubelet sets these kernel settings when they differ and fails when it cannot; inside a lab host /proc/sys is
# read-only outside net, and they are not namespaced, so the lab sets them on this machine, for every host (the
# kubelet's own values), and raises the inotify limits. The modules are the nodes' too: a lab host cannot load one.
ensure_node_kernel() {
  [[ -n $LAB_NODES ]] || return 0
  local setting
  for setting in vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1; do
    [[ $(sysctl -n "${setting%%=*}") == "${setting#*=}" ]] || { log "machine: sysctl $setting for the lab's kubelets"; sysctl -q -w "$setting"; }
  done
  # Every host's kubelet, kube-proxy and containerd watch files through inotify, whose limits are the machine's, per user
  # (root in every host): with six node hosts kube-proxy failed with "too many open files". Raised, never lowered.
  for setting in fs.inotify.max_user_instances=1024 fs.inotify.max_user_watches=524288; do
    (($(sysctl -n "${setting%%=*}") >= ${setting#*=})) || { log "machine: sysctl $setting for the lab's nodes"; sysctl -q -w "$setting"; }
  done
  grep -qw overlay /proc/filesystems || modprobe overlay || die "the nodes need overlayfs: load the overlay module"
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter || die "the nodes need br_netfilter: load it"
  [[ -d /sys/module/vxlan ]] || modprobe vxlan || die "flannel needs vxlan: load the vxlan module"
}

ensure_host() {
  local name=$1 dir addr i
  dir=$(host_dir "$name")
  addr=$(host_addr "$name")
  mkdir -p "$dir/upper" "$dir/work" "$dir/root"
  [[ -f $dir/base ]] || echo "$BASE_ID" >"$dir/base"
  [[ $(cat "$dir/base") == "$BASE_ID" ]] ||
    die "$name was made on base $(cat "$dir/base"), current base is $BASE_ID: run down.sh --purge first"
  [[ -f $dir/address ]] || echo "$addr" >"$dir/address"
  mountpoint -q "$dir/root" ||
    mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  host_files "$name" "$addr"
  host_running "$name" && return
  # A host killed by down.sh may leave its end of the veth pair behind, which nspawn refuses to create again.
  if ip link show "vb-$name" >/dev/null 2>&1; then ip link del "vb-$name"; fi
  log "booting $name ($addr)"
  booted=1
  rm -f "$dir/pid" "$dir/nspawn.pid"
  setsid "$LAB_SCRIPTS/run-host.sh" "$name" </dev/null >>"$dir/console.log" 2>&1 9>&- &
  for ((i = 0; i < 50; i++)); do host_running "$name" && return; sleep 0.1; done
  die "$name did not start, see $dir/console.log"
}

# record_host_key NAME: the key NAME made on its first boot, read from its file system, becomes the only one ssh
# trusts at its address (a purged host makes a new one).
record_host_key() {
  local addr pub line
  addr=$(host_addr "$1")
  pub=$(host_dir "$1")/root/etc/ssh/ssh_host_ed25519_key.pub
  [[ -s $pub ]] || return 1
  line="$addr $(cut -d' ' -f1,2 "$pub")"
  grep -qxF "$line" "$LAB_KNOWN_HOSTS" 2>/dev/null && return 0
  { grep -v "^$addr " "$LAB_KNOWN_HOSTS" 2>/dev/null || true; echo "$line"; } >"$LAB_KNOWN_HOSTS.new"
  mv -f "$LAB_KNOWN_HOSTS.new" "$LAB_KNOWN_HOSTS"
}

wait_ssh() {
  local name deadline=$((SECONDS + LAB_BOOT_TIMEOUT))
  for name in $LAB_HOSTS $LAB_NODES; do
    until record_host_key "$name" && ssh_ok "$(host_addr "$name")"; do
      host_running "$name" || die "$name stopped, see $(host_dir "$name")/console.log"
      ((SECONDS < deadline)) || die "$name: no ssh after ${LAB_BOOT_TIMEOUT}s"
      sleep 0.3
    done
  done
}

need_root
lab_lock
ensure_packages
# shellcheck disable=SC2086 # word list
BASE_ID=$(printf '%s\n' "$LAB_SUITE" "$(dpkg --print-architecture)" "$LAB_BASE_RECIPE" \
  $LAB_BASE_PACKAGES | sha256sum | cut -c1-12)
BASE=$LAB_DIR/base/$BASE_ID/rootfs
ensure_key
ensure_base
ensure_apt_mirror
ensure_bridge
ensure_mirror_server
ensure_node_kernel
t_boot=$SECONDS booted=0
for h in $LAB_HOSTS $LAB_NODES; do ensure_host "$h"; done
wait_ssh
((booted)) && log "all hosts answer ssh, $((SECONDS - t_boot))s after the first boot started"
for h in $LAB_HOSTS $LAB_NODES; do
  printf '%-8s %-15s pid %-8s ssh ok\n' "$h" "$(host_addr "$h")" "$(read_pid "$(host_dir "$h")/pid")"
done
echo "mirror   $LAB_MIRROR_URL/  (apt: $LAB_APT_LINE; binaries: $LAB_MIRROR_URL/artifacts/)"
