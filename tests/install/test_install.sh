#!/usr/bin/env bash
# test_install.sh BUILD — `cmake --install` of BUILD into a DESTDIR: the CLI, libnucseg.a,
# libnucseg.so with its SONAME, the headers, nucseg.pc (found from its own place) and the
# Python module; a program built against the installed library, shared and static, finds
# as many nuclei as the installed CLI does.
set -euo pipefail
BUILD=${1:?usage: test_install.sh BUILD}
SRC=${NUCSEG_SRC:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

DESTDIR="$T/stage" cmake --install "$BUILD" --prefix /opt/nucseg > "$T/install.log" || { cat "$T/install.log"; fail "install"; }
P=$T/stage/opt/nucseg
[ -x "$P/bin/nucseg" ] || fail "no bin/nucseg"
[ -f "$P/lib/libnucseg.a" ] || fail "no lib/libnucseg.a"
[ -f "$P/include/nucseg/segment.h" ] || fail "no include/nucseg/segment.h"
so=$(readlink -f "$P/lib/libnucseg.so")
[ "$(basename "$so")" = libnucseg.so.0.1.0 ] || fail "libnucseg.so -> $so"
[ "$(readlink "$P/lib/libnucseg.so.0.1")" = libnucseg.so.0.1.0 ] || fail "no libnucseg.so.0.1 link"
readelf -d "$so" > "$T/dynamic"   # (grep -q on a pipe could cut the writer short under pipefail)
grep -q 'SONAME.*\[libnucseg\.so\.0\.1\]' "$T/dynamic" || fail "SONAME"
grep -q 'TEXTREL' "$T/dynamic" && fail "text relocations in libnucseg.so"

export PKG_CONFIG_PATH=$P/lib/pkgconfig
pkg-config --exists nucseg || fail "pkg-config does not find nucseg.pc"
[ "$(pkg-config --modversion nucseg)" = "$("$P/bin/nucseg" --version | awk '{print $2}')" ] \
  || fail "nucseg.pc version differs from the CLI's"
cflags=$(pkg-config --cflags nucseg)
case "$cflags" in *"$P"/lib/pkgconfig/../../include*|*"$P"/include*) ;; *) fail "cflags $cflags";; esac

img=$(ls "$DATA"/*.png | grep -v _labels | head -1)
cc -std=c11 -Wall -Wextra -Werror $cflags "$SRC/tests/install/use_libnucseg.c" -o "$T/use_shared" \
   $(pkg-config --libs nucseg) || fail "build against libnucseg.so"
n_shared=$(LD_LIBRARY_PATH=$P/lib "$T/use_shared" "$img" 20) || fail "run against libnucseg.so"
LD_LIBRARY_PATH=$P/lib ldd "$T/use_shared" > "$T/ldd"
grep -q "libnucseg.so.0.1 => $P/lib" "$T/ldd" || { cat "$T/ldd"; fail "not linked to the installed .so"; }
cc -std=c11 $cflags "$SRC/tests/install/use_libnucseg.c" -o "$T/use_static" \
   "$P/lib/libnucseg.a" $(pkg-config --static --libs nucseg | sed 's/-lnucseg//') || fail "static link with pkg-config --static"
n_static=$("$T/use_static" "$img" 20) || fail "run static"

"$P/bin/nucseg" segment "$img" --magnification auto --diameter 20 -o "$T/out" -j 1 --progress quiet > /dev/null \
  || fail "installed CLI"
n_cli=$(($(wc -l < "$(find "$T/out" -name '*_nuclei.csv')") - 1))
[ "$n_shared" = "$n_cli" ] && [ "$n_static" = "$n_cli" ] || fail "nuclei: shared $n_shared, static $n_static, CLI $n_cli"
[ "$n_cli" -gt 0 ] || fail "no nuclei"

mod=$(find "$P" -name 'nucseg.cpython-*.so')
[ -n "$mod" ] || fail "no Python module installed"
case "$mod" in "$P"/lib/python3.*/*-packages/nucseg.cpython-*.so) ;; *) fail "module at $mod";; esac
PYTHONPATH=$(dirname "$mod") /usr/bin/python3 -c "
import nucseg, sys
assert nucseg.__file__ == sys.argv[1], nucseg.__file__
print(int(nucseg.segment(nucseg.read_image(sys.argv[2]), diameter=20).max()))" "$mod" "$img" > "$T/py" \
  || fail "installed Python module"
[ "$(cat "$T/py")" = "$n_cli" ] || fail "Python module: $(cat "$T/py") nuclei, CLI $n_cli"
echo "ok: installed tree (CLI, libnucseg.a/.so.0.1, headers, nucseg.pc, Python module): $n_cli nuclei each"
