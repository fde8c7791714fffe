#!/usr/bin/env bash
# Runs every test: types, script lint, unit tests with mocks, the real pulumi CLI, the Go plugins' tests,
# and the real lab (systemd-nspawn hosts: etcd, haproxy, keepalived, the control plane, real nodes, the registry). Needs root for the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
if ! command -v shellcheck >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi

echo "== typecheck, lint and format"
npx tsc --noEmit -p tsconfig.json
npm run --silent lint
echo "== policy pack and preview summary: types"
(cd policy && { cmp -s package-lock.json node_modules/.package-lock.json || { npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.json; }; } && npx tsc --noEmit -p tsconfig.json)
npx tsc --noEmit --allowJs --checkJs --strict --target es2022 --module commonjs --types node scripts/preview-summary.js
echo "== shellcheck"
shellcheck -x scripts/*.sh scripts/lab/*.sh test/lab/*.sh test/support/*.sh test/fixtures/preview/record.sh bench/*.sh .ci/run
echo "== Go plugins, the image tool and the registry's password tool"
(cd tools && GOFLAGS=-mod=mod GOSUMDB=off go test ./cmd/...)
(cd tools/images && GOFLAGS=-mod=mod GOSUMDB=off go test ./...)
(cd tools/registry && GOFLAGS=-mod=mod GOSUMDB=off go test ./cmd/...)
echo "== Kubernetes binaries and a local apiserver"
bash scripts/build-kubernetes.sh >/dev/null
bash test/support/local-apiserver.test.sh
echo "== unit tests with mocks, then the real pulumi CLI"
npx jest --ci
echo "== lab hosts"
bash test/lab/lab.test.sh
echo "== etcd and load balancers on the lab (its nodes simulated by kwok), through pulumi up"
bash test/lab/etcd.test.sh
echo "== the HA control plane, real worker and edge nodes and the seed apps on the lab, through pulumi up"
bash test/lab/control-plane.test.sh
echo "== the site's image registry, the bundle and a containerd pulling through the mirror, on the lab"
bash test/lab/registry.test.sh
echo "== not run here, for their time: the Kubernetes minor upgrade drill (sudo bash test/lab/upgrade.test.sh) and the CA rotation drill (sudo bash test/lab/ca-rotation.test.sh) on the lab, docs/operations.md"
