#!/usr/bin/env bash
# Idempotent machine set-up for this repo; fast when everything is already in place.
#   infra/setup.sh               apt packages, npm dependencies, mediasoup worker, front-end builds
#   infra/setup.sh --for-tests   the same, plus Debian's chromium (browser tests) and openssl (a test certificate)
#   infra/setup.sh --benchmark   the same, plus the benchmark build of both apps (vite --mode benchmark, into dist-benchmark)
# Progress goes to stderr. The last stdout line is MEDIASOUP_WORKER_BIN=<path>, for callers to export:
#   out="$(infra/setup.sh)"; export "$(tail -n 1 <<<"$out")"
set -euo pipefail

for_tests=0
benchmark=0
for arg in "$@"; do
  case $arg in
    --for-tests) for_tests=1 ;;
    --benchmark) benchmark=1 ;;
    -h | --help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option: $arg (known: --for-tests, --benchmark)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# --- node ------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not installed (this repo needs Node >= 20.19)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node $(node -v) is too old: this repo needs Node >= 20.19"

# --- (a) apt packages ------------------------------------------------------------------------------
packages=(redis-server coturn g++ pkg-config meson ninja-build libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev
  libabsl-dev nlohmann-json3-dev python3)
((for_tests)) && packages+=(chromium openssl)
missing=()
for pkg in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing apt packages (${missing[*]}) and not root, and sudo is not installed"
    sudo=(sudo)
  fi
  say "installing apt packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install failed for: ${missing[*]}"
  # Debian may start a system redis on port 6379 here: harmless, and nothing in this repo uses it.
else
  say "apt packages: ok"
fi

# --- (b) npm dependencies --------------------------------------------------------------------------
[[ -f package-lock.json ]] || die "package-lock.json is missing"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.consult-lock-hash
if [[ -d node_modules && -f $stamp && "$(cat "$stamp")" == "$lock_hash" ]]; then
  say "npm dependencies: ok"
elif [[ -d node_modules && ! -f $stamp ]] && npm ls --all >/dev/null 2>&1; then
  # Installed before this script kept a stamp, and consistent with package.json: adopt it rather than
  # wiping a working node_modules.
  echo "$lock_hash" >"$stamp"
  say "npm dependencies: ok (existing node_modules adopted)"
else
  say "npm dependencies: running npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund >&2 || die "npm ci failed"
  echo "$lock_hash" >"$stamp"
fi

# --- (c) mediasoup worker --------------------------------------------------------------------------
worker_bin="$(infra/worker/build-worker.sh | tail -n 1)" || die "mediasoup worker build failed (see above)"
[[ -x $worker_bin ]] || die "mediasoup worker build did not produce an executable (got: '$worker_bin')"
export MEDIASOUP_WORKER_BIN="$worker_bin"
say "mediasoup worker: $worker_bin"

# --- (d) front-ends --------------------------------------------------------------------------------
# One hash over every source file the two apps are built from (the protocol is shared), plus the
# lockfile; each dist folder keeps the hash it was built from. Build output (dist, and the benchmark's
# dist-benchmark that bench.sh builds) is not a source.
sources_hash="$(
  {
    echo "lock $lock_hash"
    find client dashboard signaling/protocol \( -name dist -o -name dist-benchmark -o -name node_modules \) -prune -o -type f -print0 |
      LC_ALL=C sort -z | xargs -0 -r sha256sum
  } | sha256sum | cut -d' ' -f1
)"
# The benchmark build (--benchmark) is kept the same way in dist-benchmark: the benchmarks' smoke runs in
# the suite start infra/bench.sh once per benchmark, and rebuilding both apps each time would cost minutes.
builds=(client:dist dashboard:dist)
((benchmark)) && builds+=(client:dist-benchmark dashboard:dist-benchmark)
failed=()
for build in "${builds[@]}"; do
  app="${build%%:*}" out="${build#*:}"
  mode=(); label="$app"
  [[ $out == dist-benchmark ]] && mode=(--mode benchmark) && label="$app (benchmark build)"
  app_stamp="$app/$out/.consult-build-hash"
  if [[ -f $app_stamp && "$(cat "$app_stamp")" == "$sources_hash" ]]; then
    say "front-end $label: up to date"
    continue
  fi
  say "front-end $label: building (vite)"
  if npx vite build -c "$app/vite.config.ts" "${mode[@]}" --logLevel warn >&2; then
    echo "$sources_hash" >"$app_stamp"
  else
    rm -f "$app_stamp"
    failed+=("$label")
    say "front-end $label: BUILD FAILED (output above)"
  fi
done
((${#failed[@]} == 0)) || die "front-end build failed: ${failed[*]} (fix the sources, then run infra/setup.sh again)"

echo "MEDIASOUP_WORKER_BIN=$worker_bin"
