#!/usr/bin/env bash
# test_bundle.sh — scripts/make-bundle.sh: the bundle loads only its own libraries, runs
# with an empty environment, segments an image byte for byte as the build it came from
# does (the worker pool included), draws plots with its own PLplot driver and font, and
# the script refuses bad arguments without touching what is there.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"
: "${NUCSEG_SRC:?NUCSEG_SRC must name the source tree}"
: "${NUCSEG_TEST_DATA:?NUCSEG_TEST_DATA must name tests/data}"
MAKE_BUNDLE="$NUCSEG_SRC/scripts/make-bundle.sh"
BUILD=$(dirname "$NUCSEG_BIN")


# Bad arguments: usage 2; nothing to bundle 3; a folder that is not a bundle is kept.
[ "$(status_of "$MAKE_BUNDLE")" -eq 2 ] || fail "no arguments should exit 2"
grep -q 'usage' "$T/err.txt" || fail "no usage line: $(cat "$T/err.txt")"
mkdir "$T/empty"
[ "$(status_of "$MAKE_BUNDLE" "$T/empty" "$T/b")" -eq 3 ] || fail "a build folder without nucseg should exit 3"
grep -q "$T/empty/nucseg" "$T/err.txt" || fail "the error does not name the missing binary: $(cat "$T/err.txt")"
[ ! -e "$T/b" ] || fail "a failed bundle left $T/b behind"
mkdir "$T/keep" && echo precious >"$T/keep/data.txt"
[ "$(status_of "$MAKE_BUNDLE" "$BUILD" "$T/keep")" -eq 3 ] || fail "a non-bundle folder should be refused"
[ "$(cat "$T/keep/data.txt")" = precious ] || fail "the refused folder was changed"

"$MAKE_BUNDLE" "$BUILD" "$T/b" >"$T/make.log" 2>&1 || fail "make-bundle exited $?: $(cat "$T/make.log")"
grep -q "wrote $T/b" "$T/make.log" || fail "no closing line: $(cat "$T/make.log")"
B="$T/b"
for d in "$T"/*.tmp.*; do [ -e "$d" ] && fail "the temporary bundle folder $d was left behind"; done

# Every library resolves inside the bundle (the loader lists what it would map).
loader=$(find "$B/lib" -name 'ld-linux*' | head -n 1)
"$loader" --library-path "$B/lib" --list "$B/bin/nucseg" >"$T/list.txt" || fail "the bundled loader cannot list nucseg"
awk '$2 == "=>" && $3 ~ /^\//' "$T/list.txt" | grep -v " $B/lib/" && fail "libraries resolved outside the bundle"
[ "$(awk '$2 == "=>"' "$T/list.txt" | wc -l)" -gt 5 ] || fail "too few libraries listed: $(cat "$T/list.txt")"

# The same program: version, and the same outputs for the same image, in an empty environment.
[ "$(env -i "$B/nucseg" --version)" = "$("$NUCSEG_BIN" --version)" ] || fail "--version differs"
img="$NUCSEG_TEST_DATA/dsb2018-dev/0280fa8f60f6bcae.png"
mkdir "$T/in" && cp "$img" "$T/in/" && cp "$NUCSEG_TEST_DATA/dsb2018-dev/06350c7cc618be44.png" "$T/in/"
"$NUCSEG_BIN" segment "$T/in" --magnification 10x -o "$T/ref" -j 2 >/dev/null 2>&1 || fail "reference segment exited $?"
env -i "$B/nucseg" segment "$T/in" --magnification 10x -o "$T/got" -j 2 >/dev/null 2>"$T/seg.err" \
    || fail "the bundle's segment exited $?: $(cat "$T/seg.err")"
n=0
while IFS= read -r f; do
    rel=${f#"$T/ref/"}
    cmp -s "$f" "$T/got/$rel" || fail "$rel differs between the build and its bundle"
    n=$((n + 1))
done < <(find "$T/ref" -name '*_labels.tif' -o -name '*_nuclei.csv' -o -name '*.npy')
[ "$n" -eq 6 ] || fail "expected 3 outputs for each of 2 images, compared $n"

# Plots: the bundle's cairo driver and font, nothing from the environment.
env -i "$B/nucseg" bench -o "$T/bench" --images 2 --width 128 --height 128 --sizes none --repeats 1 \
    --max-workers 2 -q >/dev/null 2>"$T/bench.err" || fail "the bundle's bench exited $?: $(cat "$T/bench.err")"
for p in speedup_vs_workers throughput_vs_workers; do
    [ "$(head -c 4 "$T/bench/$p.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "$p.png is not a PNG"
    grep -q '<svg' "$T/bench/$p.svg" || fail "$p.svg is not an SVG"
done

# A second run replaces a bundle in place (named with a trailing slash, as shells complete it).
"$MAKE_BUNDLE" "$BUILD" "$B/" >/dev/null 2>&1 || fail "rebuilding over a bundle exited $?"
[ -z "$(find "$T" -maxdepth 2 -name '*.tmp.*')" ] || fail "a temporary folder was left behind"
"$B/nucseg" --version >/dev/null || fail "the rebuilt bundle does not run"
echo "ok: bundle of $BUILD loads $(awk '$2 == "=>"' "$T/list.txt" | wc -l) libraries from itself, outputs identical"
