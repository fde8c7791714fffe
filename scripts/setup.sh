#!/usr/bin/env bash
# Everything a fresh machine needs before the project runs: npm packages and the Pulumi engine.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm ci is skipped when node_modules already matches the lock file exactly.
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.package-lock.json
fi
bash scripts/build-tools.sh
