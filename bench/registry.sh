#!/usr/bin/env bash
# Benchmarks pushing the image bundle: the registry release (scripts/build-registry.sh) serves on 127.0.0.1 with TLS
# and htpasswd as on a registry host, and onprem-image pushes every bundle image to it as a push step does. Prints the
# median of RUNS runs (min and max beside it) of a push into an empty registry (seconds, MB/s of the bundle's bytes)
# and of the same push again (every blob there: what an unchanged image costs), and onprem-image's peak RSS.
# Usage: bash bench/registry.sh [RUNS (3)] [BUNDLE_DIR (scripts/build-images.sh's)].
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
RUNS=${1:-3}
BUNDLE=${2:-$(bash "$ROOT/scripts/build-images.sh")}
PORT=${BENCH_REGISTRY_PORT:-15000}
tool=$(bash "$ROOT/scripts/build-images.sh" --tool)
read -r release _ < <(bash "$ROOT/scripts/build-registry.sh")
work=$(mktemp -d /tmp/registry-bench.XXXXXX)
registry_pid=
cleanup() {
  [[ -z $registry_pid ]] || kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tar -xzf "$release" -C "$work" --strip-components=1

# A CA and a serving certificate for 127.0.0.1, the push account's password, and distribution's config.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 1 -extfile <(echo "subjectAltName=IP:127.0.0.1") -out "$work/server.crt" 2>/dev/null
head -c 18 /dev/urandom | base64 >"$work/password"
"$work/registry-htpasswd" onprem-push <"$work/password" >"$work/htpasswd"
cat >"$work/config.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/storage}}
http: {addr: "127.0.0.1:$PORT", tls: {certificate: $work/server.crt, key: $work/server.key}}
auth: {htpasswd: {realm: bench, path: $work/htpasswd}}
EOF

start_registry() {
  rm -rf "$work/storage"
  "$work/registry" serve "$work/config.yml" >>"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "https://127.0.0.1:$PORT/v2/") == 401 ]] && return 0
    sleep 0.1
  done
  echo "bench: the registry did not start; $work/registry.log" >&2
  exit 1
}
stop_registry() {
  kill "$registry_pid"
  wait "$registry_pid" 2>/dev/null || true
  registry_pid=
}

# push_all: every bundle image, one process each, as the push steps run; prints wall seconds and the largest RSS (KiB).
push_all() {
  local name archive digest start rss=0 m
  start=$(date +%s.%N)
  while IFS=$'\t' read -r name archive digest; do
    m=$( { /usr/bin/time -f "%M" "$tool" push --archive "$BUNDLE/$archive" --name "$name" --digest "$digest" --to "127.0.0.1:$PORT" \
      --ca "$work/ca.crt" --username onprem-push <"$work/password" >/dev/null; } 2>&1 | tail -1)
    ((m > rss)) && rss=$m
  done < <(jq -r '.images[] | [.name, .archive, .digest] | @tsv' "$BUNDLE/bundle.json")
  echo "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') $rss"
}
stats() { sort -g | awk '{a[NR] = $1} END {printf "median %s (min %s, max %s)", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[1], a[NR]}'; }

bytes=$(jq -r '.images[].archive' "$BUNDLE/bundle.json" | sort -u | while read -r a; do stat -c %s "$BUNDLE/$a"; done | awk '{s += $1} END {print s}')
images=$(jq '.images | length' "$BUNDLE/bundle.json")
cold=() warm=() rss=0
for ((i = 0; i < RUNS; i++)); do
  start_registry
  read -r t m < <(push_all)
  cold+=("$t")
  ((m > rss)) && rss=$m
  read -r t m < <(push_all)
  warm+=("$t")
  stop_registry
done
echo "bundle: $images images, $((bytes / 1048576)) MiB of archives ($BUNDLE)"
echo "push into an empty registry: $(printf '%s\n' "${cold[@]}" | stats) s"
echo "  throughput: $(printf '%s\n' "${cold[@]}" | sort -g | awk -v b="$bytes" '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", b / 1048576 / m}') MB/s at the median"
echo "the same push again (every blob there): $(printf '%s\n' "${warm[@]}" | stats) s"
echo "onprem-image peak RSS: $((rss / 1024)) MiB"
