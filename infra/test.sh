#!/usr/bin/env bash
# `npm test [-- mocha args]`: set up the machine for tests (adds chromium), then run mocha (.mocharc.json)
# with the given arguments. Exits with mocha's code; the run closes with a line `N passed, N failed`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source infra/setup-env.sh
setup_and_export_worker test --for-tests

# The whole suite unless test files are named (mocha adds a config file's spec to the named files, so the
# default list lives here rather than in .mocharc.json).
named=0
for arg in "$@"; do [[ $arg == *.test.ts ]] && named=1; done
if ((named)); then
  exec npx mocha "$@"
fi
exec npx mocha "$@" 'signaling/**/*.test.ts' 'sfu/**/*.test.ts' 'client/src/**/*.test.ts' 'dashboard/src/**/*.test.ts' 'infra/**/*.test.ts'
