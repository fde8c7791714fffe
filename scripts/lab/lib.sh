# shellcheck shell=bash disable=SC2034 # variables are used by the sourcing scripts
# Shared defaults and helpers for the lab scripts (sourced, not executed).
# Every default lives here; override any of them through the environment.

LAB_DIR=${LAB_DIR:-/var/lib/onprem-k8s-lab}
LAB_HOSTS=${LAB_HOSTS:-}
LAB_N=${LAB_N:-3}
if [[ -z $LAB_HOSTS ]]; then
  for ((i = 1; i <= LAB_N; i++)); do LAB_HOSTS+="${LAB_HOSTS:+ }lab$i"; done
fi
# Real worker (NAME-wN) and edge (NAME-eN) hosts: they run containerd and a kubelet, so they boot with what that
# takes (docs/lab.md). Set LAB_NODES= for a lab of LAB_HOSTS alone.
LAB_NODES=${LAB_NODES-lab-w1 lab-w2 lab-e1 lab-e2}
LAB_BRIDGE=${LAB_BRIDGE:-br-onprem}
LAB_BRIDGE_ADDR=${LAB_BRIDGE_ADDR:-172.31.250.1/24}
LAB_FIRST_HOST_OCTET=${LAB_FIRST_HOST_OCTET:-11}
LAB_MIRROR_PORT=${LAB_MIRROR_PORT:-8080}
LAB_SUITE=${LAB_SUITE:-bookworm}
LAB_DEBIAN_MIRROR=${LAB_DEBIAN_MIRROR:-}
# Base rootfs content: enough to boot systemd, accept ssh, install .debs from
# an apt source and run daemons as services. etcd/haproxy/keepalived are
# deliberately absent: the project's components install them.
LAB_BASE_PACKAGES=${LAB_BASE_PACKAGES:-systemd systemd-sysv dbus openssh-server iproute2 curl ca-certificates procps netbase iputils-ping}
# Packages (plus their dependency closure) served by the lab apt mirror: the load balancers' (with node_exporter) and the nodes'.
LAB_MIRROR_PACKAGES=${LAB_MIRROR_PACKAGES:-haproxy keepalived prometheus-node-exporter containerd runc containernetworking-plugins iptables conntrack}
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-90}
LAB_STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-30}
# One cgroup per lab directory, so two labs on one machine never share one.
LAB_CGROUP=${LAB_CGROUP:-$(basename "$LAB_DIR")}
# Bump when the base preparation below changes, so cached bases are rebuilt.
LAB_BASE_RECIPE=1

LAB_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_KEY=$LAB_DIR/ssh/id_ed25519
LAB_NET_PREFIX=${LAB_BRIDGE_ADDR%.*}       # 172.31.250
LAB_GW=${LAB_BRIDGE_ADDR%/*}               # 172.31.250.1
LAB_PREFIXLEN=${LAB_BRIDGE_ADDR#*/}        # 24
LAB_MIRROR_URL="http://$LAB_GW:$LAB_MIRROR_PORT"
LAB_APT_LINE="deb [trusted=yes] $LAB_MIRROR_URL/apt ./"
# The hosts' own keys, as up.sh read them from their file systems: ssh trusts no other.
LAB_KNOWN_HOSTS=$LAB_DIR/ssh/known_hosts
LAB_SSH_OPTS=(-i "$LAB_KEY" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$LAB_KNOWN_HOSTS"
  -o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=3)

log() { printf '[lab %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
need_root() { [[ $(id -u) -eq 0 ]] || die "run as root"; }

# Serialise concurrent runs. fd 9 must be closed for long-lived children.
lab_lock() {
  mkdir -p "$LAB_DIR"
  exec 9>"$LAB_DIR/.lock"
  flock -w 900 9 || die "another lab script holds $LAB_DIR/.lock"
}

# PID is alive (not a zombie) and its command line contains PATTERN: guards
# against acting on a recycled PID from a stale pid file.
pid_matches() {
  local pid=$1 pattern=$2 state
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}
read_pid() { if [[ -r $1 ]]; then cat "$1"; fi; }

host_dir() { echo "$LAB_DIR/hosts/$1"; }

is_node() { [[ " $LAB_NODES " == *" $1 "* ]]; }

# A host keeps the address it got when created; a new node host NAME-wN gets .2N and NAME-eN .3N, as the lab stack
# names them; other new hosts get one by position.
host_addr() {
  local name=$1 i=0 h
  if [[ -r $(host_dir "$name")/address ]]; then cat "$(host_dir "$name")/address"; return; fi
  if is_node "$name"; then
    [[ $name =~ -([we])([1-9])$ ]] || return 1
    if [[ ${BASH_REMATCH[1]} == w ]]; then echo "$LAB_NET_PREFIX.2${BASH_REMATCH[2]}"; else echo "$LAB_NET_PREFIX.3${BASH_REMATCH[2]}"; fi
    return
  fi
  for h in $LAB_HOSTS; do
    if [[ $h == "$name" ]]; then echo "$LAB_NET_PREFIX.$((LAB_FIRST_HOST_OCTET + i))"; return; fi
    i=$((i + 1))
  done
  return 1
}

host_running() {
  pid_matches "$(read_pid "$(host_dir "$1")/pid")" "run-host.sh $1"
}

# Hosts to act on: the configured ones plus any other that has state on disk.
all_hosts() {
  # shellcheck disable=SC2086 # word list
  { printf '%s\n' $LAB_HOSTS $LAB_NODES
    [[ -d $LAB_DIR/hosts ]] && find "$LAB_DIR/hosts" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
  } | awk 'NF && !seen[$0]++'
}

ssh_ok() { ssh "${LAB_SSH_OPTS[@]}" "root@$1" true </dev/null >/dev/null 2>&1; }

# cgroup dirs for a host: the root of a pure cgroup2 mount, or (hybrid v1 without a host systemd, as measured)
# name=systemd and unified. A node host gets one in every v1 hierarchy: its container runtime manages cgroups of its
# own, which must not collide with another host's. Any other one the host has (it was a node host before) is listed too,
# so that down.sh removes it.
host_cgroups() {
  local d
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "/sys/fs/cgroup/$LAB_CGROUP/$1"
    return 0
  fi
  for d in /sys/fs/cgroup/*/; do
    d=${d%/}
    [[ -f $d/cgroup.procs ]] || continue
    if [[ $d == */systemd || $d == */unified || -d $d/$LAB_CGROUP/$1 ]] || is_node "$1"; then echo "$d/$LAB_CGROUP/$1"; fi
  done
}

mirror_running() {
  pid_matches "$(read_pid "$LAB_DIR/mirror.pid")" "http.server"
}
