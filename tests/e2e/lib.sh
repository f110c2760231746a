# lib.sh — sourced first by every e2e test (source "$(dirname "$0")/lib.sh"): strict mode,
# fail(), status_of(), and the test's scratch folder $T, removed with everything the test
# started (on_exit) when the script ends, whether it passes, fails or is interrupted.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

# status_of CMD...: run CMD with its output in $T/out.txt and $T/err.txt; print its exit status.
status_of() { local s=0; "$@" >"$T/out.txt" 2>"$T/err.txt" || s=$?; echo "$s"; }

# Cleanup steps run at exit, last registered first (e.g. on_exit "kill $pid").
_e2e_cleanups=()
on_exit() { _e2e_cleanups+=("$1"); }
_e2e_cleanup() {
  local i
  for ((i = ${#_e2e_cleanups[@]} - 1; i >= 0; i--)); do eval "${_e2e_cleanups[i]}" || true; done
  [ -z "${T:-}" ] || rm -rf "$T"
}
trap _e2e_cleanup EXIT

# scratch_dir: make the scratch folder $T (once per test), removed at exit.
scratch_dir() { T=$(mktemp -d "${TMPDIR:-/tmp}/nucseg-e2e.XXXXXX"); }
scratch_dir
