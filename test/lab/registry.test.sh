#!/usr/bin/env bash
# End-to-end test of the site's image registry on the lab, through the real pulumi CLI: `pulumi up --stack lab` from
# bare hosts brings up the registry on lab1 and lab2 behind its VIP and pushes the image bundle to both; then TLS and
# the accounts, the catalog, a no-op up, containerd on lab3 pulling through the mirror step (RegistryMirrors), a pull
# with one registry host stopped, an image changed by one layer, a corrupt archive, and destroy.
# Run as root; it resets the lab in LAB_DIR and the lab stack's state. Ends with "N passed, M failed"; non-zero on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABS=$ROOT/scripts/lab
# Its worker and edge nodes are kwok's (simulate_nodes): no node hosts.
export LAB_NODES=
# shellcheck source=../../scripts/lab/lib.sh
. "$LABS/lib.sh"
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=harness.sh
. "$ROOT/test/lab/harness.sh"
cd "$ROOT"
LOG=$(mktemp /tmp/registry-test.XXXXXX)
WORK=$(mktemp -d /tmp/registry-test-work.XXXXXX)
STACK=lab
VIP=172.31.250.103
PORT=5000
REGISTRY_HOSTS=(lab1 lab2)
# lab3 is no registry host: its containerd pulls as a node's would.
CLIENT=lab3
BUNDLE=$LAB_DIR/images
# The image that the layer and corruption checks change, and the one pulled with a registry host stopped.
CHANGED=docker.io/tutum/hello-world:canary
PULLED=docker.io/library/redis:4-alpine3.8
PULLED_DEGRADED=registry.k8s.io/pause:3.10
# shellcheck source=lab-stack-test.sh
. "$ROOT/test/lab/lab-stack-test.sh"

# curl to the registry, trusting its CA; credentials come from a netrc file, never the command line.
reg() { curl -sS --max-time 10 --cacert "$WORK/ca.crt" "$@"; }
status() { reg -o /dev/null -w '%{http_code}' "$@" 2>>"$LOG" || true; }
address_of() { host_addr "$1"; }
# The repository path of an upstream name, as the registry stores it (docker.io's library/ kept, the registry dropped).
repository_of() { node -e 'const n = process.argv[1]; const i = n.indexOf("/"); const r = n.slice(i + 1); console.log(r.slice(0, r.lastIndexOf(":")));' "$1"; }
bundle_digest() { jq -r --arg n "$1" '.images[] | select(.name == $n) | .digest' "$BUNDLE/bundle.json"; }
bundle_archive() { jq -r --arg n "$1" '.images[] | select(.name == $n) | .archive' "$BUNDLE/bundle.json"; }
# The digest HOST:PORT serves for NAME.
served_digest() {
  local name=$1 target=$2 path
  path=$(repository_of "$name")
  reg --netrc-file "$WORK/netrc" -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "https://$target/v2/$path/manifests/${name##*:}" 2>>"$LOG" | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}
# Every registry host serves NAME under DIGEST.
every_host_serves() {
  local h
  for h in "${REGISTRY_HOSTS[@]}"; do [[ $(served_digest "$1" "$(address_of "$h"):$PORT") == "$2" ]] || return 1; done
}
# Replaces CHANGED's archive in the bundle with one that has one more layer (a file with TEXT), and its digest in bundle.json.
add_layer() {
  local text=$1 archive out name digest
  archive=$(bundle_archive "$CHANGED")
  mkdir -p "$WORK/layer/etc"
  echo "$text" >"$WORK/layer/etc/onprem-test"
  out=$(onprem-image append --archive "$BUNDLE/$archive" --layer "$WORK/layer" --name "$CHANGED" --out "$WORK/changed.tar") || return 1
  read -r name digest <<<"$out"
  [[ $name == "$CHANGED" && $digest == sha256:* ]] || return 1
  cp "$WORK/changed.tar" "$BUNDLE/$archive"
  jq --arg n "$CHANGED" --arg d "$digest" '(.images[] | select(.name == $n) | .digest) = $d' "$BUNDLE/bundle.json" >"$WORK/bundle.json" &&
    cp "$WORK/bundle.json" "$BUNDLE/bundle.json"
}
# Flips one byte in the content of the last layer of FILE (an OCI archive), in place.
corrupt_last_layer() {
  python3 - "$1" <<'PY'
import json, sys, tarfile
path = sys.argv[1]
with tarfile.open(path) as t:
    blob = lambda d: t.extractfile("blobs/sha256/" + d.split(":")[1]).read()
    index = json.loads(t.extractfile("index.json").read())
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    member = t.getmember("blobs/sha256/" + manifest["layers"][-1]["digest"].split(":")[1])
    offset = member.offset_data + member.size // 2
with open(path, "r+b") as f:
    f.seek(offset)
    byte = f.read(1)
    f.seek(offset)
    f.write(bytes([byte[0] ^ 0xFF]))
PY
}

[[ $(id -u) -eq 0 ]] || { bad "must run as root"; exit 1; }
info "log: $LOG"

# --- bare hosts and a new stack ------------------------------------------------------------------------
"$LABS/down.sh" --purge >>"$LOG" 2>&1
"$LABS/up.sh" >>"$LOG" 2>&1
pulumi stack rm --yes --force --preserve-config "$STACK" >>"$LOG" 2>&1 || true
"$LABS/stack-config.sh" >>"$LOG" 2>&1
simulate_nodes
info "bundle: $(jq '.images | length' "$BUNDLE/bundle.json") images, $(du -sh "$BUNDLE" | cut -f1)"

# --- 1. first up: the registry on both hosts, the bundle on each ---------------------------------------
t0=$(now)
check "pulumi up from bare hosts" up
info "first up took $(since "$t0")s"
pulumi stack output registryCaCert --stack "$STACK" >"$WORK/ca.crt"
verdict "the stack outputs the registry's endpoint through its VIP" test "$(pulumi stack output registryEndpoint --stack "$STACK")" = "$VIP:$PORT"
pull_password=$(pulumi config get registryPullPassword --stack "$STACK")
(
  umask 077
  for h in "$VIP" "${REGISTRY_HOSTS[@]}"; do
    [[ $h == "$VIP" ]] || h=$(address_of "$h")
    echo "machine $h login onprem-pull password $pull_password" >>"$WORK/netrc"
    echo "machine $h login onprem-pull password not-$pull_password" >>"$WORK/netrc-wrong"
  done
)
for h in "${REGISTRY_HOSTS[@]}"; do
  check "$h runs the registry as a service" on "$h" systemctl is-active --quiet onprem-registry
done
verdict "with the pull account, the catalog answers through the VIP" test "$(status --netrc-file "$WORK/netrc" "https://$VIP:$PORT/v2/_catalog")" = 200
verdict "an anonymous request is refused (401)" test "$(status "https://$VIP:$PORT/v2/_catalog")" = 401
verdict "a wrong password is refused (401)" test "$(status --netrc-file "$WORK/netrc-wrong" "https://$VIP:$PORT/v2/_catalog")" = 401
untrusted() {
  local out
  out=$(curl -sS --max-time 10 --netrc-file "$WORK/netrc" "https://$VIP:$PORT/v2/_catalog" 2>&1) && return 1
  echo "$out" >>"$LOG"
  [[ $out == *"certificate"* && $out != *repositories* ]]
}
verdict "a client that does not trust the registry's CA gets nothing" untrusted
jq -r '.images[].name' "$BUNDLE/bundle.json" | while read -r name; do repository_of "$name"; done | sort -u >"$WORK/expected-repositories"
reg --netrc-file "$WORK/netrc" "https://$VIP:$PORT/v2/_catalog?n=1000" 2>>"$LOG" | jq -r '.repositories[]' | sort >"$WORK/repositories" || true
verdict "the catalog lists exactly the bundle's $(wc -l <"$WORK/expected-repositories") repositories" diff "$WORK/expected-repositories" "$WORK/repositories"
all_served() {
  local name
  while read -r name; do every_host_serves "$name" "$(bundle_digest "$name")" || { echo "not served: $name" >>"$LOG"; return 1; }; done < <(jq -r '.images[].name' "$BUNDLE/bundle.json")
}
verdict "each registry host serves every bundle image under its digest" all_served

# --- 2. idempotent -------------------------------------------------------------------------------------
t0=$(now)
check "a second up reports no changes" up --expect-no-changes
info "no-op up took $(since "$t0")s"

# --- 3. containerd on lab3 pulls through the mirror step -----------------------------------------------
check "$CLIENT: containerd from the site's apt source" on "$CLIENT" "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd >/dev/null && systemctl is-active --quiet containerd"
# The project's RegistryMirrors on lab3, through the shared scratch program with its own backend.
cp -r "$ROOT/test/fixtures/scratch" "$WORK/mirrors"
mkdir -p "$WORK/mirrors/backend"
ln -s "$ROOT/node_modules" "$WORK/mirrors/node_modules"
mirrors_pulumi() { PULUMI_BACKEND_URL="file://$WORK/mirrors/backend" pulumi "$@" --cwd "$WORK/mirrors" --non-interactive; }
read -r key_type key_blob _ <"$(host_dir "$CLIENT")/root/etc/ssh/ssh_host_ed25519_key.pub"
mirrors_up() {
  mirrors_pulumi stack init mirrors && mirrors_pulumi config set case mirrors && mirrors_pulumi config set library "$ROOT" &&
    mirrors_pulumi config set host "{\"name\":\"$CLIENT\",\"address\":\"$(address_of "$CLIENT")\",\"sshPort\":22,\"sshUser\":\"root\",\"sshHostKey\":\"$key_type $key_blob\",\"roles\":[\"worker\"],\"labels\":{},\"taints\":[]}" &&
    mirrors_pulumi config set endpoint "$VIP:$PORT" && mirrors_pulumi config set caCert <"$WORK/ca.crt" &&
    mirrors_pulumi config set mirrors '["docker.io","registry.k8s.io"]' &&
    mirrors_pulumi config set --secret sshPrivateKey <"$LAB_KEY" && pulumi config get registryPullPassword --stack "$STACK" | mirrors_pulumi config set --secret pullPassword &&
    mirrors_pulumi up --yes --skip-preview
}
check "the mirror step (RegistryMirrors) writes $CLIENT's hosts.toml" mirrors_up
ctr_pull() { on "$CLIENT" ctr -n k8s.io images pull --hosts-dir /etc/containerd/certs.d --snapshotter native "$1"; }
ctr_digest() { on "$CLIENT" ctr -n k8s.io images ls "name==$1" | awk 'NR == 2 { print $3 }'; }
check "$CLIENT's containerd pulls $PULLED through the mirror, with no credentials of its own" ctr_pull "$PULLED"
verdict "what containerd pulled has the bundle's digest" test "$(ctr_digest "$PULLED")" = "$(bundle_digest "$PULLED")"
pulled_by_pull_account() {
  local h
  for h in "${REGISTRY_HOSTS[@]}"; do
    # Into a file first: grep -q ending a pipe early would fail it under pipefail. The registry logs its fields
    # sorted, so the account comes before the request's path.
    on "$h" journalctl -u onprem-registry -o cat --no-pager >"$WORK/journal-$h" || return 1
    grep -q 'auth.user.name=onprem-pull .*/v2/library/redis/' "$WORK/journal-$h" && return 0
  done
  return 1
}
verdict "the registry logged the pull of library/redis by the pull account" pulled_by_pull_account

# --- 4. one registry host stopped: pulls through the VIP go on -----------------------------------------
check "${REGISTRY_HOSTS[0]}'s registry stops" on "${REGISTRY_HOSTS[0]}" systemctl stop onprem-registry
check "$CLIENT pulls $PULLED_DEGRADED through the VIP while ${REGISTRY_HOSTS[0]}'s registry is down" ctr_pull "$PULLED_DEGRADED"
verdict "with the bundle's digest" test "$(ctr_digest "$PULLED_DEGRADED")" = "$(bundle_digest "$PULLED_DEGRADED")"
check "${REGISTRY_HOSTS[0]}'s registry starts again" on "${REGISTRY_HOSTS[0]}" systemctl start onprem-registry
mirrors_pulumi destroy --yes --skip-preview >>"$LOG" 2>&1 || bad "the mirror step's destroy"

# --- 5. an image changed by one layer: only its push runs ----------------------------------------------
before=$(bundle_digest "$CHANGED")
check "$CHANGED gets one more layer in the bundle" add_layer "first change"
after=$(bundle_digest "$CHANGED")
preview_changes >"$WORK/layer-change" 2>>"$LOG" || true
cat "$WORK/layer-change" >>"$LOG"
verdict "the preview updates exactly $CHANGED's push ($(paste -sd, "$WORK/layer-change"))" test "$(cat "$WORK/layer-change")" = "update command:local:Command image-registry-push-docker.io-tutum-hello-world-canary"
check "the up pushes it" up
verdict "both registry hosts serve the new digest" every_host_serves "$CHANGED" "$after"
verdict "and the digest changed" test "$before" != "$after"
check "a second up reports no changes" up --expect-no-changes

# --- 6. a corrupt archive fails naming its image; the registry keeps what it had ------------------------
check "$CHANGED gets another layer" add_layer "second change"
archive=$(bundle_archive "$CHANGED")
cp "$BUNDLE/$archive" "$WORK/good.tar"
check "and its archive is corrupted (one byte of its last layer)" corrupt_last_layer "$BUNDLE/$archive"
if pulumi up --yes --skip-preview --stack "$STACK" --non-interactive >"$WORK/corrupt-up.log" 2>&1; then corrupt_rc=0; else corrupt_rc=$?; fi
cat "$WORK/corrupt-up.log" >>"$LOG"
verdict "the up fails" test "$corrupt_rc" != 0
verdict "with one line naming the image and the corruption" grep -qE "onprem-image: push $CHANGED: .*corrupt" "$WORK/corrupt-up.log"
verdict "both registry hosts still serve the previous digest" every_host_serves "$CHANGED" "$after"
cp "$WORK/good.tar" "$BUNDLE/$archive"
check "with the archive mended, the next up converges" up
verdict "and both hosts serve the new digest" every_host_serves "$CHANGED" "$(bundle_digest "$CHANGED")"
check "a preview after it shows no change" pulumi preview --stack "$STACK" --non-interactive --expect-no-changes

# --- 7. destroy ----------------------------------------------------------------------------------------
t0=$(now)
check "pulumi destroy" pulumi destroy --yes --skip-preview --stack "$STACK" --non-interactive
info "destroy took $(since "$t0")s"
for h in "${REGISTRY_HOSTS[@]}"; do
  verdict "$h: no registry service, file, image or binary left" on "$h" "! systemctl is-active --quiet onprem-registry && test ! -e /etc/onprem-registry -a ! -e /var/lib/onprem-registry -a ! -e /usr/local/bin/registry -a ! -e /etc/systemd/system/onprem-registry.service"
done
