#!/usr/bin/env bash
# The main job on the embedded default: a real preview of the dev stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
stack="${1:-dev}"
pulumi stack select --create "$stack" >/dev/null
pulumi preview --stack "$stack" --diff
