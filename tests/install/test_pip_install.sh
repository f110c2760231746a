#!/usr/bin/env bash
# test_pip_install.sh — `pip install --no-build-isolation .` from a copy of the checkout,
# offline (--no-index), into a virtual environment that sees Debian's NumPy
# (--system-site-packages); the installed module segments as the CLI does.
set -euo pipefail
SRC=${NUCSEG_SRC:?}
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The sources as a fresh checkout has them (no build folders).
mkdir "$T/src"
tar -C "$SRC" --exclude='./build*' --exclude=./.git --exclude=./results -cf - . | tar -C "$T/src" -xf -
/usr/bin/python3 -m venv --system-site-packages "$T/venv"
"$T/venv/bin/python" -m pip install --no-build-isolation --no-index "$T/src" > "$T/pip.log" 2>&1 \
  || { tail -40 "$T/pip.log"; fail "pip install"; }
img=$(ls "$DATA"/*.png | grep -v _labels | head -1)
"$BIN" segment "$img" --magnification auto -o "$T/out" -j 1 --progress quiet > /dev/null || fail "CLI"
cd "$T"  # not the source folder: the installed module, not a build tree's
"$T/venv/bin/python" - "$img" "$(find "$T/out" -name '*_labels.tif')" "$T/venv" <<'PY' || fail "installed module"
import sys
import numpy as np
import tifffile
import nucseg
img, cli_labels, venv = sys.argv[1:]
assert nucseg.__file__.startswith(venv), nucseg.__file__
assert np.array_equal(nucseg.segment(nucseg.read_image(img)), tifffile.imread(cli_labels))
PY
"$T/venv/bin/python" -m pip show nucseg > "$T/show" || fail "pip show"
grep -q "^Version: $("$BIN" --version | awk '{print $2}')$" "$T/show" || { cat "$T/show"; fail "version"; }
echo "ok: pip install --no-build-isolation --no-index into a venv; labels equal the CLI's"
