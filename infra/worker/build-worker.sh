#!/usr/bin/env bash
# Builds the mediasoup worker binary from node_modules/mediasoup/worker against Debian's own
# libraries, once per machine, and prints its path on the last line of stdout:
#   BIN=$(infra/worker/build-worker.sh | tail -1)
#   MEDIASOUP_WORKER_BIN=$BIN node ...
# Why: mediasoup's postinstall downloads a prebuilt worker (or meson subprojects) from GitHub and
# wrapdb, which are unreachable here. See /work/shared/notes/mediasoup-worker-on-debian.md.
# Installing the apt packages is another script's job; this one only checks for them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mediasoup="$here/../../node_modules/mediasoup"
[[ -f $mediasoup/package.json ]] || { echo "error: $mediasoup not found; run npm install first" >&2; exit 1; }
version="$(node -p 'require(process.argv[1]).version' "$mediasoup/package.json")"

cache_dir="${CONSULT_CACHE_DIR:-$HOME/.cache/consult}/mediasoup-worker-$version"
[[ $cache_dir == /* ]] || cache_dir="$PWD/$cache_dir"
bin="$cache_dir/mediasoup-worker"
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

# Check prerequisites up front so a missing package gives a clear message, not a meson error.
missing=()
declare -A tool_pkg=([meson]=meson [ninja]=ninja-build [pkg-config]=pkg-config [g++]=g++)
for tool in "${!tool_pkg[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${tool_pkg[$tool]}")
done
declare -A lib_pkg=([libsrtp2]=libsrtp2-dev [libuv]=libuv1-dev [openssl]=libssl-dev
  [usrsctp]=libusrsctp-dev [absl_flat_hash_map]=libabsl-dev [nlohmann_json]=nlohmann-json3-dev)
if command -v pkg-config >/dev/null; then
  for lib in "${!lib_pkg[@]}"; do
    pkg-config --exists "$lib" || missing+=("${lib_pkg[$lib]}")
  done
fi
if ((${#missing[@]})); then
  echo "error: missing apt packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

mkdir -p "$cache_dir"
log="$cache_dir/build.log"
work="$(mktemp -d)"
tmp_bin="$cache_dir/.mediasoup-worker.$$"
trap 'rm -rf "$work" "$tmp_bin"' EXIT

# Build in a scratch copy: node_modules is never edited in place.
cp -R "$mediasoup/worker" "$work/worker"
# Debian bookworm ships meson 1.0.1, but mediasoup 3.12.16 asks for >= 1.1.0. Nothing in the
# build actually needs 1.1, so lowering the requirement is enough.
sed -i "s/meson_version *: *'>= *1\.1\.0'/meson_version: '>= 1.0.0'/" "$work/worker/meson.build"
# Without the .wrap files meson cannot download anything; it uses our shim subprojects instead,
# which wrap the system libraries (subprojects/<name>/ matches each subproject('<name>') call).
rm -f "$work/worker/subprojects/"*.wrap
cp -R "$here/shims/." "$work/worker/subprojects/"

echo "building mediasoup-worker $version (takes a few minutes; log: $log)" >&2
SECONDS=0
if ! (
  cd "$work/worker" &&
    meson setup --buildtype release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
      --wrap-mode=nodownload "$work/build" &&
    ninja -C "$work/build" mediasoup-worker
) >"$log" 2>&1; then
  echo "error: mediasoup-worker build failed; last 40 lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "built in ${SECONDS}s" >&2

# Copy under a temporary name and rename, so a concurrent caller never sees a half-written binary.
cp "$work/build/mediasoup-worker" "$tmp_bin"
chmod 755 "$tmp_bin"
mv -f "$tmp_bin" "$bin"
echo "$bin"
