#!/usr/bin/env bash
# Runs every test: types, unit tests with mocks, script lint, and real CLI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== tests (unit with mocks, then the real pulumi CLI)"
npx jest --ci
