#!/usr/bin/env bash
# test_odd_names.sh — file names a shell allows but a naive tool mishandles:
#  * a byte that is not UTF-8, a newline and an ESC in names: the summary and every
#    metadata file stay valid JSON (the bytes written as \xNN), and log lines stay one
#    line each with no raw control character;
#  * a folder named like an image (x.tif) is reported as a failure, not skipped;
#  * -j 4096 on 3 images says it starts 3 workers, and does.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

imgs=($(ls "$DATA"/*.png | grep -v _labels | head -3))
mkdir -p "$T/in"
cp "${imgs[0]}" "$T/in/$(printf 'bad\xffbyte.png')"
cp "${imgs[1]}" "$T/in/$(printf 'new\nline.png')"
cp "${imgs[2]}" "$T/in/$(printf 'esc\033[31mred.png')"
printf 'not an image' > "$T/in/$(printf 'broken\xfe.png')"
set +e
"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --progress lines > "$T/log" 2> "$T/err"
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/log" "$T/err"; fail "exit $rc, want 1 (one broken image)"; }
/usr/bin/python3 - "$T/out" <<'PY' || fail "invalid JSON written"
import json, glob, sys
out = sys.argv[1]
files = [out + "/segmentation_summary.json"] + glob.glob(out + "/unknown/*/*_metadata.json")
assert len(files) == 4, files
for f in files:
    with open(f, "rb") as fh:
        json.loads(fh.read().decode("utf-8"))  # strict: UTF-8 and JSON
s = json.load(open(out + "/segmentation_summary.json", encoding="utf-8"))
assert s["succeeded"] == 3 and s["failed"] == 1, s
assert "\\xfe" in s["failures"][0]["file"], s["failures"][0]["file"]
PY
grep -q $'\033' "$T/log" "$T/err" && fail "an ESC reached the terminal output"
[ "$(grep -c '^\[' "$T/log")" = 3 ] || { cat "$T/log"; fail "want 3 progress lines"; }
grep -v '^\[' "$T/log" | grep -v '^nucseg segment: ' && fail "a name split a log line"
grep -q 'new\\x0aline.png' "$T/log" || { cat "$T/log"; fail "the newline is not shown escaped"; }
grep -q 'FAILED .*broken\\xfe.png' "$T/err" || { cat "$T/err"; fail "the failure line does not show the name escaped"; }

# --- a folder named like an image; -j larger than the number of images ---
mkdir -p "$T/in2/x.tif"
cp "${imgs[0]}" "$T/in2/a.png"
cp "${imgs[1]}" "$T/in2/b.png"
set +e
"$BIN" segment "$T/in2" --magnification auto -o "$T/out2" -j 4096 --progress lines > "$T/log2" 2> "$T/err2"
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/log2" "$T/err2"; fail "folder x.tif: exit $rc, want 1"; }
grep -q "FAILED $T/in2/x.tif: is a directory, not an image" "$T/err2" || { cat "$T/err2"; fail "folder x.tif not reported"; }
grep -q "3 images .* 3 workers (-j 4096 capped at the number of images)" "$T/log2" || { cat "$T/log2"; fail "-j 4096 not capped"; }
grep -q '"workers":[[:space:]]*3,' "$T/out2/segmentation_summary.json" || fail "summary workers != 3"
echo "PASS test_odd_names"
