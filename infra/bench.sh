#!/usr/bin/env bash
# `npm run bench:<name>`: set up the machine as for tests, then run infra/bench/<name>.ts, which prints figures.
# Every benchmark takes --smoke: a run of one or two iterations that the test suite makes
# (infra/bench/benchmarks.smoke.test.ts), so a benchmark that breaks fails `npm test`; its figures mean nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:?usage: infra/bench.sh <name>}"
shift
[[ -f infra/bench/$name.ts ]] || { echo "bench: no infra/bench/$name.ts" >&2; exit 1; }

# The browsers in a benchmark load the benchmark build of both apps (`--mode benchmark`, into
# dist-benchmark): the only build that follows a benchmark server's "unencrypted" answer. Production
# builds in dist refuse it. setup.sh (--benchmark) builds it when the apps' sources changed since.
source infra/setup-env.sh
setup_and_export_worker bench --for-tests --benchmark
export CLIENT_DIST="$PWD/client/dist-benchmark" DASHBOARD_DIST="$PWD/dashboard/dist-benchmark"

exec npx tsx "infra/bench/$name.ts" "$@"
