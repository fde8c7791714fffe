# shellcheck shell=bash
# The phases of a `pulumi up` of the lab stack, read from its output with every line stamped by `stamp`: when etcd
# was healthy, the API ready through its VIP, the image bundle pushed, every real node joined, the addons and the apps applied. Sourced by the lab test
# and the lab benchmark.

# stamp: prefixes every line with the time it was read.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done; }

# phase_seconds FILE T0 PATTERN [EXCLUDE] [first|last]: seconds from T0 to the first (or last) resource reported
# created on a line matching PATTERN and not EXCLUDE; "-" if none.
phase_seconds() {
  awk -v pattern="$3" -v exclude="${4:-^$}" -v which="${5:-first}" -v t0="$2" '
    $0 ~ pattern && $0 !~ exclude && / created/ { t = $1; if (which == "first") exit }
    END { if (t == "") print "-"; else printf "%.0f\n", t - t0 }' "$1"
}

# phase_report FILE T0: one line with the seconds of every phase.
phase_report() {
  echo "etcd healthy at $(phase_seconds "$1" "$2" "Command etcd-health")s," \
    "control plane ready through the VIP at $(phase_seconds "$1" "$2" "Command control-plane-ready")s," \
    "image bundle pushed to every registry host at $(phase_seconds "$1" "$2" "Command image-registry-push-" "" last)s," \
    "every node joined (Ready) at $(phase_seconds "$1" "$2" "Command node-bootstrap-[a-z0-9-]+-kubelet " "" last)s," \
    "addons applied at $(phase_seconds "$1" "$2" "(coredns|flannel|cluster-traefik|cluster-ceph)" "" last)s," \
    "every app Deployment Available at $(phase_seconds "$1" "$2" "apps/v1:Deployment" "coredns" last)s"
}
