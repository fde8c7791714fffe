# shellcheck shell=bash
# Counting PASS/FAIL helpers shared by the lab tests; a test ends with "N passed, M failed".
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
info() { echo "INFO $*"; }
# check DESCRIPTION CMD...: PASS if CMD succeeds; its output goes to $LOG
check() {
  local d=$1
  shift
  if "$@" >>"$LOG" 2>&1; then ok "$d"; else bad "$d"; fi
}
# verdict DESCRIPTION CMD...: like check, but CMD is a test and nothing is logged
verdict() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
# retry TIMES SECONDS CMD...: runs CMD until it succeeds, at most TIMES times, SECONDS apart.
retry() {
  local times=$1 seconds=$2 attempt
  shift 2
  for ((attempt = 1; attempt <= times; attempt++)); do
    "$@" && return 0
    ((attempt == times)) || sleep "$seconds"
  done
  return 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
