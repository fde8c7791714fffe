# shellcheck shell=bash
# What the drills outside .ci/run (upgrade.test.sh, ca-rotation.test.sh) share: a /readyz client through the API VIP
# and the times of an up's steps. Sourced after harness.sh; the drill defines WORK and readyz, which asks /readyz once
# with the drill's credentials and prints the answer.

# Polls /readyz through the API VIP every 200 ms until stopped; one line per failed poll.
start_readyz_poller() {
  : >"$WORK/readyz-failures"
  echo 0 >"$WORK/readyz-polls"
  (for ((i = 1; i <= 6000; i++)); do
    out=$(readyz) || true
    [[ $out == ok ]] || echo "poll $i at $(date +%T.%N): $(head -c 200 <<<"$out" | tr '\n' ' ')" >>"$WORK/readyz-failures"
    echo "$i" >"$WORK/readyz-polls"
    sleep 0.2
  done) &
  readyz_poller=$!
}
stop_readyz_poller() { kill "$readyz_poller" 2>/dev/null; wait "$readyz_poller" 2>/dev/null || true; }
# step_times LOG PATTERN: "NAME SECONDS" of each step matching PATTERN that the up updated or created, as pulumi
# reported it.
step_times() { sed -n "s/^.* command:remote:Command \(${2}\) \(updated\|created\) (\([0-9.]*\)s).*/\1 \3s/p" "$1" | paste -sd, | sed 's/,/, /g'; }
