#!/usr/bin/env bash
# test_run_cli.sh — `nucseg run` (what `make run` calls) end to end on the built-in
# synthetic plate: every stage succeeds, the summary is printed, and report.html
# exists with every image and link pointing at a real file; when Chromium is
# installed, the page is also rendered headless to a screenshot.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}

"$BIN" run --help | grep -q "usage: nucseg run" || fail "--help"
# Bad option values are usage errors (2) found before any stage runs: no plate is written.
for bad in "-j 0" "-j 5000" "-j x" "--seed -1" "--seed 1.5" "--trials 0" "--trials many"; do
  read -r -a args <<< "$bad"
  rc=0; "$BIN" run -o "$T/usage" "${args[@]}" > /dev/null 2> "$T/usage.err" || rc=$?
  [ "$rc" = 2 ] || fail "run $bad: exit $rc, not 2"
  grep -q "^nucseg run: " "$T/usage.err" || fail "run $bad: no message: $(cat "$T/usage.err")"
  [ ! -e "$T/usage" ] || fail "run $bad: wrote $T/usage before refusing"
done
# A DATA_DIR that is a file or missing: exit 3 naming it, nothing written (a file used to reach
# segment, which asked for --magnification, an option run does not have).
: > "$T/afile.tif"
for d in "$T/afile.tif" "$T/nonexistent"; do
  rc=0; "$BIN" run "$d" -o "$T/refused" > /dev/null 2> "$T/refused.err" || rc=$?
  [ "$rc" = 3 ] || fail "run $d: exit $rc, not 3"
  grep -q "^nucseg run: $d: \(not a directory\|no such directory\) (DATA_DIR)$" "$T/refused.err" \
    || fail "run $d: message: $(cat "$T/refused.err")"
  [ ! -e "$T/refused" ] || fail "run $d: wrote $T/refused"
done
# A DATA_DIR without 10X/40X folders: segmented (magnification unknown, said so); there
# is nothing to map, and the run says why, writes its report and succeeds.
mkdir -p "$T/plain"
for f in $(find "${NUCSEG_TEST_DATA:?}/dsb2018-dev" -name '*.png' ! -name '*_labels.png' | sort | head -2); do cp "$f" "$T/plain/"; done
rc=0; "$BIN" run "$T/plain" -o "$T/plainout" > "$T/plain.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/plain.log"; fail "run on images of unknown magnification: exit $rc, not 0"; }
grep -q "images      2 (0 10X, 0 40X, 2 of unknown magnification), 0 failed" "$T/plain.log" || fail "unknown images not named: $(grep '  images' "$T/plain.log")"
grep -q "tiles       not mapped: mapping needs both 10X and 40X images; this data has 0 10X, 0 40X" "$T/plain.log" \
  || { cat "$T/plain.log"; fail "no reason given for the missing mapping"; }
[ -s "$T/plainout/report.html" ] || fail "no report"
# One magnification (a 10X folder only), with the segment options run passes on: the
# segmentation is the result; mapping and the optimizer benchmark are left out, said so
# in the summary and the report.
mkdir -p "$T/only10/10X"
i=0; for f in $(find "${NUCSEG_TEST_DATA:?}/dsb2018-dev" -name '*.png' ! -name '*_labels.png' | sort | head -2); do
  i=$((i + 1)); cp "$f" "$T/only10/10X/plate7-B04-s$i.png"; done
rc=0; "$BIN" run "$T/only10" -o "$T/only10out" -j 1 --channel 0 --pixel-size 0.5 --diameter-um 7 \
  --name-pattern 'plate{plate}-{well}-s{tile}' > "$T/only10.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/only10.log"; fail "run on 10X images only: exit $rc, not 0"; }
grep -q "images      2 (2 10X, 0 40X), 0 failed" "$T/only10.log" || fail "10X-only images line: $(grep '  images' "$T/only10.log")"
grep -q "tiles       not mapped: mapping needs both 10X and 40X images; this data has 2 10X, 0 40X" "$T/only10.log" \
  || { cat "$T/only10.log"; fail "10X only: no reason given"; }
grep -q "L-BFGS-B" "$T/only10.log" && fail "10X only: optimizer lines without a mapping"
grep -q "Not run: mapping needs both 10X and 40X images" "$T/only10out/report.html" || fail "report does not say why"
M=$T/only10out/segmentation/10X/B04
grep -q '"diameter_requested":[[:space:]]*14,' "$M/plate7-B04-s1_metadata.json" || fail "--diameter-um/--pixel-size not passed on"
[ -s "$M/B04_nuclei.csv" ] || fail "--name-pattern not passed on: $(ls -R "$T/only10out/segmentation")"
rc=0; "$BIN" run "$T/only10" -o "$T/badopt" --name-pattern '{tile}' > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && [ ! -e "$T/badopt" ] || fail "run --name-pattern without {well}: exit $rc, or wrote output"
rc=0; "$BIN" run "$T/only10" -o "$T/badopt" --diameter-um 0 > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && [ ! -e "$T/badopt" ] || fail "run --diameter-um 0: exit $rc, or wrote output"

"$BIN" run -o "$T/results" --trials 2 > "$T/log" 2>&1 || { tail -30 "$T/log"; fail "nucseg run exit $?"; }
grep -q "== nucseg run: summary" "$T/log" || fail "no summary"
grep -q "images      16 (8 10X, 8 40X), 0 failed" "$T/log" || fail "images line"
grep -q "tiles       8 of 8 40X tiles mapped" "$T/log" || fail "tiles line"
grep -q "L-BFGS-B" "$T/log" && grep -q "Levenberg-Marq" "$T/log" || fail "optimizer lines"
grep -q "report      $T/results/report.html" "$T/log" || fail "report path"
R="$T/results/report.html"
[ -s "$R" ] || fail "no report.html"
grep -q "</html>" "$R" || fail "report not closed"
# Every src= and href= in the page resolves to a file next to it.
n=0
for ref in $(grep -o -E '(src|href)="[^"#]+"' "$R" | sed -E 's/^(src|href)="//; s/"$//'); do
  [ -e "$T/results/$ref" ] || fail "report references missing file $ref"
  n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "report references only $n files"
for png in $(grep -o -E 'src="[^"]+\.png"' "$R" | sed -E 's/^src="//; s/"$//'); do
  [ "$(head -c 8 "$T/results/$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
done
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -n "$browser" ]; then
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --screenshot="$T/shot.png" \
    --window-size=1200,2000 "file://$R" > /dev/null 2>&1 || fail "headless $browser failed"
  [ "$(stat -c %s "$T/shot.png")" -gt 20000 ] || fail "screenshot suspiciously small"
  echo "headless screenshot: $(stat -c %s "$T/shot.png") bytes"
else
  echo "chromium not installed: page references validated only"
fi
echo "PASS test_run_cli ($n references)"
