#!/usr/bin/env bash
# `npm run bench:<name>`: set up the machine as for tests, then run infra/bench/<name>.ts, which prints figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:?usage: infra/bench.sh <name>}"
shift
[[ -f infra/bench/$name.ts ]] || { echo "bench: no infra/bench/$name.ts" >&2; exit 1; }

setup_out="$(infra/setup.sh --for-tests)"
worker_line="$(tail -n 1 <<<"$setup_out")"
[[ $worker_line == MEDIASOUP_WORKER_BIN=?* ]] || { echo "bench: infra/setup.sh did not print MEDIASOUP_WORKER_BIN" >&2; exit 1; }
export "${worker_line?}"

exec npx tsx "infra/bench/$name.ts" "$@"
