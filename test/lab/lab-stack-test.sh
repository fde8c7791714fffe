# shellcheck shell=bash
# Common set-up of the tests that drive the lab stack; sourced after harness.sh, with ROOT, LABS, LOG, WORK and
# STACK set (and HOSTS, for vip_holder). The test changes the lab stack's config: the file goes back as it was found.
# On exit the background client (background_pid) stops, the lab goes down unless LAB_KEEP=1, and the counts are printed.
background_pid=
cp "$ROOT/Pulumi.lab.yaml" "$WORK/Pulumi.lab.yaml.orig"

# shellcheck disable=SC2154 # pass and fail are counted by harness.sh
finish() {
  local rc=$?
  [[ -n $background_pid ]] && kill "$background_pid" 2>/dev/null
  [[ $rc == 0 ]] || bad "test aborted (exit $rc; log $LOG)"
  cp "$WORK/Pulumi.lab.yaml.orig" "$ROOT/Pulumi.lab.yaml"
  rm -rf "$WORK"
  [[ ${LAB_KEEP:-0} == 1 ]] || "$LABS/down.sh" >>"$LOG" 2>&1 || true
  echo "$pass passed, $fail failed"
  ((fail == 0))
}
trap finish EXIT

on() { "$LABS/ssh.sh" "$@" </dev/null 2>>"$LOG"; }
# vip_holder VIP: the host of HOSTS that holds VIP, or nothing. (The addresses are read whole first: grep -q closing
# the pipe early would fail the ssh under pipefail.)
vip_holder() {
  local h addrs
  for h in "${HOSTS[@]}"; do
    addrs=$(on "$h" ip -o -4 addr show) || continue
    [[ $addrs == *" $1/"* ]] && echo "$h" && return 0
  done
  return 0
}
# shellcheck disable=SC2120 # arguments come through check
up() { pulumi up --yes --skip-preview --stack "$STACK" --non-interactive "$@" >>"$LOG" 2>&1; }
# The preview's changed steps, one "OP TYPE NAME" a line, sorted.
preview_changes() { pulumi preview --json --stack "$STACK" | node -e '
  const steps = JSON.parse(require("fs").readFileSync(0, "utf8")).steps.filter((s) => s.op !== "same");
  const line = (s) => { const [type, name] = s.urn.split("::").slice(-2); return [s.op, type.split("$").pop(), name].join(" "); };
  console.log(steps.map(line).sort().join("\n"));'; }
# simulate_nodes: the lab stack's worker and edge hosts become kwok's (simulated: true), for the tests of what runs on
# the masters: they run with LAB_NODES= (no node hosts booted), and kwok's NodePool is exercised on the lab. Monitoring
# and logging go too: they observe the nodes, which the control-plane test checks, and each up would diff their objects.
simulate_nodes() {
  local i
  pulumi config rm monitoring --stack "$STACK" >>"$LOG" || return 1
  pulumi config rm logging --stack "$STACK" >>"$LOG" || return 1
  for i in $(pulumi config get hosts --json --stack "$STACK" | node -e '
    const hosts = JSON.parse(require("fs").readFileSync(0, "utf8")).objectValue;
    hosts.forEach((h, i) => { if (h.roles.every((r) => r === "worker" || r === "edge")) console.log(i); });'); do
    pulumi config set --path "hosts[$i].simulated" true --stack "$STACK" >>"$LOG" || return 1
  done
}
