#!/usr/bin/env bash
# `npm start`: set up the machine (idempotent, fast when done), then run the service in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source infra/setup-env.sh
setup_and_export_worker start

exec npx tsx infra/start.ts
