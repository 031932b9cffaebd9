#!/usr/bin/env bash
# `npm start`: set up the machine (idempotent, fast when done), then run the service in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# An assignment keeps setup's exit status (set -e stops here on failure); `eval "$(...)"` would not.
setup_out="$(infra/setup.sh)"
worker_line="$(tail -n 1 <<<"$setup_out")"
[[ $worker_line == MEDIASOUP_WORKER_BIN=?* ]] || { echo "start: infra/setup.sh did not print MEDIASOUP_WORKER_BIN" >&2; exit 1; }
export "${worker_line?}"

exec npx tsx infra/start.ts
