#!/usr/bin/env bash
# `npm run bench:<name>`: set up the machine as for tests, then run infra/bench/<name>.ts, which prints figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:?usage: infra/bench.sh <name>}"
shift
[[ -f infra/bench/$name.ts ]] || { echo "bench: no infra/bench/$name.ts" >&2; exit 1; }

source infra/setup-env.sh
setup_and_export_worker bench --for-tests

exec npx tsx "infra/bench/$name.ts" "$@"
