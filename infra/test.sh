#!/usr/bin/env bash
# `npm test [-- mocha args]`: set up the machine for tests (adds chromium), then run mocha (.mocharc.json)
# with the given arguments. Exits with mocha's code; the run closes with a line `N passed, N failed`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

setup_out="$(infra/setup.sh --for-tests)"
worker_line="$(tail -n 1 <<<"$setup_out")"
[[ $worker_line == MEDIASOUP_WORKER_BIN=?* ]] || { echo "test: infra/setup.sh did not print MEDIASOUP_WORKER_BIN" >&2; exit 1; }
export "${worker_line?}"

exec npx mocha "$@"
