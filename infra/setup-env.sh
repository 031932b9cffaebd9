# Sourced by start.sh, test.sh and bench.sh: runs infra/setup.sh with the given options and exports the
# MEDIASOUP_WORKER_BIN it prints on its last line. $1 names the caller in error messages.
#   setup_and_export_worker test --for-tests
setup_and_export_worker() {
  local caller="$1"
  shift
  # An assignment keeps setup's exit status (set -e stops here on failure); `eval "$(...)"` would not.
  local setup_out worker_line
  setup_out="$(infra/setup.sh "$@")"
  worker_line="$(tail -n 1 <<<"$setup_out")"
  [[ $worker_line == MEDIASOUP_WORKER_BIN=?* ]] || { echo "$caller: infra/setup.sh did not print MEDIASOUP_WORKER_BIN" >&2; exit 1; }
  export "${worker_line?}"
}
