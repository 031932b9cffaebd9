#!/usr/bin/env bash
# `npm run bench:<name>`: set up the machine as for tests, then run infra/bench/<name>.ts, which prints figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:?usage: infra/bench.sh <name>}"
shift
[[ -f infra/bench/$name.ts ]] || { echo "bench: no infra/bench/$name.ts" >&2; exit 1; }

source infra/setup-env.sh
setup_and_export_worker bench --for-tests

# The browsers in a benchmark load the benchmark build of both apps (`--mode benchmark`, into
# dist-benchmark): the only build that follows a benchmark server's "unencrypted" answer. Production
# builds in dist refuse it. Built every time: a few seconds next to any benchmark.
echo "bench: building the benchmark front-ends (vite --mode benchmark)" >&2
for app in client dashboard; do
  npx vite build -c "$app/vite.config.ts" --mode benchmark --logLevel warn >&2
done
export CLIENT_DIST="$PWD/client/dist-benchmark" DASHBOARD_DIST="$PWD/dashboard/dist-benchmark"

exec npx tsx "infra/bench/$name.ts" "$@"
