#!/usr/bin/env bash
# make-bundle.sh — a folder that runs nucseg on another x86-64 Linux machine that lacks
# its Debian libraries (a cluster node, a cloud VM): the binaries, every shared library
# they load, the dynamic loader itself, PLplot's cairo driver and data, and a font for
# the plots. Debian ships no static PLplot or cJSON, so a static binary is not an option;
# carrying the loader makes the bundle independent of the target's glibc too.
#
#   scripts/make-bundle.sh BUILD_DIR OUT_DIR
#
# Run the result as OUT_DIR/nucseg ... (a wrapper that starts bin/nucseg through the
# bundled loader). The worker pool only forks, never re-executes itself, so workers run
# from the bundle as well. Build with -DNUCSEG_NATIVE=OFF for a bundle to carry to
# another CPU model: a -march=native binary may use instructions the target lacks.
# Exit: 0 written, 2 usage, 3 could not build the bundle (a library not found, ...).
set -euo pipefail

die() { echo "make-bundle: $*" >&2; exit "${2:-3}"; }
[ $# -eq 2 ] || die "usage: scripts/make-bundle.sh BUILD_DIR OUT_DIR" 2
BUILD=$1
# Absolute and without a trailing slash: the bundle is built in a sibling folder.
OUT=$(realpath -m -- "$2")
[ -x "$BUILD/nucseg" ] || die "$BUILD/nucseg: not found or not executable (build first: make build)"
if [ -e "$OUT" ] && [ ! -e "$OUT/.nucseg-bundle" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
    die "$OUT: exists and is not a nucseg bundle; refusing to replace it"
fi
if grep -q '^NUCSEG_NATIVE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "make-bundle: note: $BUILD was built with -march=native; the bundle runs only on CPUs" \
         "with this machine's instruction set (configure with -DNUCSEG_NATIVE=OFF to carry it further)" >&2
fi

# Built beside OUT and renamed into place at the end: an interrupted run leaves no
# half bundle under OUT's name.
TMP="$OUT.tmp.$$"
trap 'rm -rf "$TMP"' EXIT
rm -rf "$TMP"
mkdir -p "$TMP/bin" "$TMP/lib"

programs=(nucseg)
for p in bench_pool bench_segment bench_affine_fit; do [ -x "$BUILD/$p" ] && programs+=("$p"); done
for p in "${programs[@]}"; do cp "$BUILD/$p" "$TMP/bin/"; done

# PLplot finds its output drivers and its data (fonts, palettes) through environment
# variables; the plots use the cairo driver only.
drv=$(find /usr/lib/*-linux-gnu -maxdepth 3 -path '*/plplot*/drivers/cairo.so' -printf '%h\n' 2>/dev/null | head -n 1)
data=$(find /usr/share -maxdepth 1 -name 'plplot[0-9]*' -type d 2>/dev/null | head -n 1)
if [ -z "$drv" ]; then die "PLplot's cairo driver not found (is libplplot installed?)"; fi
if [ -z "$data" ]; then die "PLplot's data folder not found under /usr/share"; fi
mkdir -p "$TMP/plplot/drivers"
cp "$drv"/cairo.* "$TMP/plplot/drivers/"
cp -r "$data" "$TMP/plplot/data"

# Every library the programs and the driver load, resolved here, and the loader.
libs=$(for f in "$TMP"/bin/* "$TMP/plplot/drivers/cairo.so"; do ldd "$f"; done)
if grep -q 'not found' <<<"$libs"; then
    die "unresolved libraries: $(grep 'not found' <<<"$libs" | awk '{print $1}' | sort -u | paste -sd ' ')"
fi
loader=$(awk '$1 ~ /ld-linux/ {print $1}' <<<"$libs" | sort -u | head -n 1)
if [ -z "$loader" ] || [ ! -e "$loader" ]; then die "the dynamic loader was not found in ldd's output"; fi
{ awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$libs"; echo "$loader"; } | sort -u |
    while read -r lib; do cp -L "$lib" "$TMP/lib/"; done

# A font for the plots' text, and a fontconfig file that finds only it.
font=$(fc-match -f '%{file}' sans 2>/dev/null || true)
mkdir -p "$TMP/fonts"
[ -n "$font" ] && [ -e "$font" ] && cp -L "$font" "$TMP/fonts/"
cat >"$TMP/fonts/fonts.conf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir prefix="relative">.</dir>
  <cachedir>/tmp/nucseg-bundle-fontconfig</cachedir>
</fontconfig>
EOF

loader_name=$(basename "$loader")
for p in "${programs[@]}"; do
    cat >"$TMP/$p" <<EOF
#!/bin/sh
# $p from a nucseg bundle (scripts/make-bundle.sh): run through the bundled loader and libraries.
here=\$(cd "\$(dirname "\$0")" && pwd)
PLPLOT_DRV_DIR="\$here/plplot/drivers" PLPLOT_LIB="\$here/plplot/data" FONTCONFIG_FILE="\$here/fonts/fonts.conf"
export PLPLOT_DRV_DIR PLPLOT_LIB FONTCONFIG_FILE
exec "\$here/lib/$loader_name" --library-path "\$here/lib" --argv0 "\$0" "\$here/bin/$p" "\$@"
EOF
    chmod +x "$TMP/$p"
done
"$TMP/nucseg" --version >/dev/null || die "the bundle's nucseg does not start"
os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || true)
echo "built from $BUILD on $(uname -m) ${os:-Linux}" >"$TMP/.nucseg-bundle"

rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "wrote $OUT ($(du -sh "$OUT" | cut -f1)): run $OUT/nucseg --help"
