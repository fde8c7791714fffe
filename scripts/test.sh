#!/usr/bin/env bash
# Runs every test: types, script lint, unit tests with mocks, the real pulumi CLI, the Go plugins' tests,
# and the real lab (systemd-nspawn hosts, etcd, haproxy, keepalived). Needs root for the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
if ! command -v shellcheck >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== shellcheck"
shellcheck -x scripts/*.sh scripts/lab/*.sh test/lab/*.sh .ci/run
echo "== Go plugins"
(cd tools && GOFLAGS=-mod=mod GOSUMDB=off go test ./cmd/...)
echo "== unit tests with mocks, then the real pulumi CLI"
npx jest --ci
echo "== lab hosts"
bash test/lab/lab.test.sh
echo "== etcd and load balancers on the lab, through pulumi up"
bash test/lab/etcd.test.sh
