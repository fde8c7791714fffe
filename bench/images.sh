#!/usr/bin/env bash
# Benchmarks scripts/build-images.sh: one cold bundle build (an empty images cache: no bundle, no file trees, no
# onprem-image; the downloaded .deb files are reused, so no network time is counted), then RUNS warm runs (the
# bundle cached), and prints each image's size.
# Usage: bash bench/images.sh [RUNS (5)]
#   COLD_GO=1 also empties the Go build cache for the cold run (the Go module cache stays: downloads are not
#   build time); by default the Go build cache stays warm, and the report says which.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
RUNS=${1:-5}
COLD_GO=${COLD_GO:-0}

# A cache of its own for the cold run, sharing only the downloaded .deb files with the real one.
BENCH_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/images-bench.XXXXXX")
GOCACHE_DIR=""
cleanup() { rm -rf "$BENCH_CACHE" ${GOCACHE_DIR:+"$GOCACHE_DIR"}; }
trap cleanup EXIT
mkdir -p "$ONPREM_CACHE/debs"
ln -s "$ONPREM_CACHE/debs" "$BENCH_CACHE/debs"
# The Pulumi tools stay where they are: only the images cache is new.
export ONPREM_TOOLS_BIN PULUMI_HOME

cold_env=(ONPREM_CACHE="$BENCH_CACHE")
go_state="warm Go build cache"
if [[ "$COLD_GO" == 1 ]]; then
  GOCACHE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/images-bench-gocache.XXXXXX")
  cold_env+=(GOCACHE="$GOCACHE_DIR")
  go_state="empty Go build cache"
fi

# measure LOG CMD...: runs CMD once, its stderr to LOG; prints "wall_seconds peak_rss_kib".
measure() {
  local log=$1 out
  shift
  out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>"$log" || {
    echo "bench: failed: $* (see $log)" >&2
    exit 1
  }
  cat "$out"
  rm -f "$out"
}

cold_log=$(mktemp)
read -r cold_wall cold_rss < <(measure "$cold_log" env "${cold_env[@]}" bash "$ROOT/scripts/build-images.sh")
echo "cold build (empty images cache, $go_state, .deb files already downloaded): ${cold_wall} s, peak RSS $((cold_rss / 1024)) MiB"
grep -E '^images: rootfs .* built in' "$cold_log" | sed 's/^images: /  /'

walls=()
for ((i = 0; i < RUNS; i++)); do
  read -r wall _ < <(measure /dev/null env "${cold_env[@]}" bash "$ROOT/scripts/build-images.sh")
  walls+=("$wall")
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "warm build (bundle cached), median of $RUNS: ${median} s (min $(printf '%s\n' "${walls[@]}" | sort -n | head -1), max $(printf '%s\n' "${walls[@]}" | sort -n | tail -1))"

bundle=$(env "${cold_env[@]}" bash "$ROOT/scripts/build-images.sh" 2>/dev/null)
echo "images ($(du -sh "$bundle" | cut -f1) in all):"
jq -r '.images[] | "  \(.name)  \(.size / 1048576 * 10 | round / 10) MiB  \(.digest)"' "$bundle/bundle.json"
rm -f "$cold_log"
