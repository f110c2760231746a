#!/usr/bin/env bash
# test_segment_cli.sh — `nucseg segment` end to end: outputs per image, the lab
# layout, a crashing worker, a timeout, --resume, and every kind of bad input,
# each failing alone with one line that names the file while the others succeed.
set -euo pipefail
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
source "$(dirname "$0")/tiff_craft.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- a lab layout: 3 10X images and 2 40X images (dsb2018 PNGs stand in) ---
mkdir -p "$T/plate/genotyping/cycle_1" "$T/plate/phenotyping"
imgs=($(ls "$DATA"/*.png | grep -v _labels | head -5))
cp "${imgs[0]}" "$T/plate/genotyping/cycle_1/WellA_Tile-1.png"
cp "${imgs[1]}" "$T/plate/genotyping/cycle_1/WellA_Tile-2.png"
cp "${imgs[2]}" "$T/plate/genotyping/cycle_1/WellB_Tile-1.png"
cp "${imgs[3]}" "$T/plate/phenotyping/WellA_Site-1.png"
cp "${imgs[4]}" "$T/plate/phenotyping/WellB_Site-1.png"

"$BIN" segment --help | grep -q "usage: nucseg segment" || fail "--help"
"$BIN" segment "$T/plate" -o "$T/out" -j 2 --progress lines > "$T/log" 2>&1 || { cat "$T/log"; fail "clean run exit $?"; }
for s in WellA_Tile-1 WellA_Tile-2 WellB_Tile-1; do
  w=${s%%_*}
  for suf in _labels.tif _nuclei.csv _nuclei_centroids_local.npy _metadata.json; do
    [ -s "$T/out/10X/$w/$s$suf" ] || fail "missing 10X/$w/$s$suf"
  done
done
[ -s "$T/out/40X/WellA/WellA_Site-1_labels.tif" ] || fail "missing 40X output"
grep -q '"total":	5' "$T/out/segmentation_summary.json" || grep -q '"total": 5' "$T/out/segmentation_summary.json" || fail "summary total"
grep -q "5/5 images processed (100.0%)" "$T/out/segmentation_progress.txt" || fail "progress file"
head -c 6 "$T/out/10X/WellA/WellA_Tile-1_nuclei_centroids_local.npy" | grep -q "NUMPY" || fail "npy magic"
head -1 "$T/out/10X/WellA/WellA_Tile-1_nuclei.csv" | grep -q "^label,centroid_x,centroid_y,area,mean_intensity" || fail "csv header"
n_csv=$(($(wc -l < "$T/out/10X/WellA/WellA_Tile-1_nuclei.csv") - 1))
grep -q "\"nuclei\":[[:space:]]*$n_csv" "$T/out/10X/WellA/WellA_Tile-1_metadata.json" || fail "csv rows != metadata nuclei"
no_temporaries() { # DIR: no temporary file (.NAME.tmp.PID) left anywhere under it
  local left
  left=$(find "$1" -name '.*.tmp.*')
  [ -z "$left" ] || fail "temporary files left behind in $1: $left"
}
no_temporaries "$T/out"

# --- --resume: nothing recomputed; a deleted output is redone ---
rm "$T/out/40X/WellB/WellB_Site-1_metadata.json"
"$BIN" segment "$T/plate" -o "$T/out" -j 2 --resume --progress lines > "$T/log2" 2>&1 || fail "resume run"
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log2")" = 4 ] || { cat "$T/log2"; fail "resume should skip 4"; }
[ -s "$T/out/40X/WellB/WellB_Site-1_metadata.json" ] || fail "resume did not redo the incomplete image"
total_of() { sed -n 's/.*"nuclei_total":[[:space:]]*\([0-9]*\).*/\1/p' "$1"; }
all_nuclei=$(total_of "$T/out/segmentation_summary.json")
# Damaged after the fact (a metadata cut short, an emptied centroid file, a label image cut
# to its first 100 bytes, a table missing its last row): those images are redone, the
# intact one skipped, and the totals still count every image's nuclei.
o="$T/out"
truncate -s 40 "$o/10X/WellA/WellA_Tile-1_metadata.json"
: > "$o/10X/WellB/WellB_Tile-1_nuclei_centroids_local.npy"
truncate -s 100 "$o/40X/WellA/WellA_Site-1_labels.tif"
sed -i '$d' "$o/40X/WellB/WellB_Site-1_nuclei.csv"
"$BIN" segment "$T/plate" -o "$o" -j 2 --resume --progress lines > "$T/log2b" 2>&1 || { cat "$T/log2b"; fail "resume over damaged outputs"; }
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log2b")" = 1 ] || { cat "$T/log2b"; fail "resume should redo the 4 damaged images"; }
grep -q "WellA_Tile-2.png: skipped (complete)" "$T/log2b" || fail "the intact image was not the one skipped"
[ "$(total_of "$o/segmentation_summary.json")" = "$all_nuclei" ] || fail "totals after resume: $(total_of "$o/segmentation_summary.json"), want $all_nuclei"
[ "$(stat -c %s "$o/40X/WellA/WellA_Site-1_labels.tif")" -gt 100 ] || fail "the label image cut short was not rewritten"
# Other settings are refused while OUT records the first run's (test_out_settings.sh); once
# the user removes that record, nothing is skipped; the same settings again: everything is.
rm "$o/segmentation_settings.json"
"$BIN" segment "$T/plate" -o "$o" -j 2 --resume --threshold local --progress lines > "$T/log2c" 2>&1 || fail "resume, local threshold"
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log2c")" = 0 ] || { cat "$T/log2c"; fail "resume skipped images made with another threshold"; }
grep -q '"threshold_method":[[:space:]]*"local"' "$o/10X/WellA/WellA_Tile-2_metadata.json" || fail "not redone with the local threshold"
"$BIN" segment "$T/plate" -o "$o" -j 2 --resume --threshold local --progress lines > "$T/log2d" 2>&1 || fail "resume, same settings"
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log2d")" = 5 ] || { cat "$T/log2d"; fail "resume with the same settings should skip all 5"; }

# --- a crashing worker and a hanging one: those images fail, the rest succeed ---
set +e
NUCSEG_FAULT_INJECT=crash:WellA_Tile-2 "$BIN" segment "$T/plate" -o "$T/crash" -j 2 --progress lines > "$T/log3" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/log3"; fail "crash run exit $rc, want 1"; }
grep -q "WellA_Tile-2.png: worker crashed (signal 11" "$T/log3" || fail "crash reason"
[ -s "$T/crash/10X/WellB/WellB_Tile-1_labels.tif" ] && [ -s "$T/crash/40X/WellA/WellA_Site-1_labels.tif" ] || fail "others lost after crash"
grep -q '"failed":[[:space:]]*1' "$T/crash/segmentation_summary.json" || fail "crash summary"
grep -q '"status":[[:space:]]*"crash"' "$T/crash/segmentation_summary.json" || fail "crash status in summary"

set +e
NUCSEG_FAULT_INJECT=hang:WellB_Tile-1 "$BIN" segment "$T/plate" -o "$T/hang" -j 2 --timeout 2 --progress lines > "$T/log4" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/log4"; fail "timeout run exit $rc"; }
grep -q "WellB_Tile-1.png: timed out after 2 s" "$T/log4" || fail "timeout reason"
[ "$(ls "$T"/hang/*/*/*_metadata.json | wc -l)" = 4 ] || fail "others lost after timeout"
no_temporaries "$T/hang"

# A worker whose save of STEM (a 10X image of WELL) hangs: that image times out "while
# saving its outputs", the other four are complete, and STEM's set does not claim to be.
save_hangs() { # STEM WELL OUT [segment options...]
  local stem=$1 well=$2 out=$3 rc
  shift 3
  set +e
  NUCSEG_FAULT_INJECT=hang-save:$stem "$BIN" segment "$T/plate" -o "$out" "$@" --timeout 2 --progress lines > "$out.log" 2>&1
  rc=$?
  set -e
  [ $rc = 1 ] || { cat "$out.log"; fail "$stem: save-timeout run exit $rc"; }
  grep -q "$stem.png: timed out after 2 s while saving its outputs" "$out.log" || { cat "$out.log"; fail "$stem: save-timeout reason"; }
  [ "$(ls "$out"/*/*/*_metadata.json | wc -l)" = 4 ] || { cat "$out.log"; fail "$stem: others lost after a save timeout"; }
  [ ! -e "$out/10X/$well/${stem}_metadata.json" ] || fail "$stem: the unsaved image claims to be complete"
  no_temporaries "$out" # the killed worker's, removed by the parent
}
# Mid-batch: the image the worker was computing meanwhile goes to a fresh worker and succeeds.
save_hangs WellA_Tile-1 WellA "$T/hangsave" -j 1
# The batch's last image (the smallest, handed out last): its worker has been told to exit
# (job pipe closed once the queue ran empty) while that save hangs.
save_hangs WellA_Tile-2 WellA "$T/hanglast" -j 2

# --- inputs that would write the same outputs: the first given (in path order from a folder)
# runs, the others fail ---
D="$T/dup"; mkdir -p "$D/a" "$D/b"
cp "${imgs[0]}" "$D/a/W1_T.png"; cp "${imgs[1]}" "$D/b/W1_T.png"
cp "${imgs[2]}" "$D/a/W1_U.png"
set +e
"$BIN" segment --10x "$D/b/W1_T.png" "$D/a/W1_T.png" "$D/a/W1_U.png" -o "$T/dupout" -j 2 --progress lines > "$T/logd" 2> "$T/errd"
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/logd" "$T/errd"; fail "colliding inputs: exit $rc, want 1"; }
grep -q "a/W1_T.png: its outputs would overwrite those of $D/b/W1_T.png" "$T/errd" || { cat "$T/errd"; fail "collision reason"; }
[ "$(grep -c FAILED "$T/errd")" = 1 ] || fail "only the second of the two should fail"
grep -q "\"source\":[[:space:]]*\"$D/b/W1_T.png\"" "$T/dupout/10X/W1/W1_T_metadata.json" || fail "W1_T's outputs are not from the first input"
[ -s "$T/dupout/10X/W1/W1_U_labels.tif" ] || fail "an image without a collision was lost"

# --- discovery: a FIFO named like an image fails alone (never waits for a writer), and a
# symbolic link back up the tree is not followed round and round ---
F="$T/odd"; mkdir -p "$F/sub"
cp "${imgs[0]}" "$F/sub/good.png"; mkfifo "$F/sub/fifo.tif"; ln -s .. "$F/sub/up"
set +e
timeout 60 "$BIN" segment "$F" -o "$T/oddout" --magnification 10x -j 2 --progress lines > "$T/logf" 2> "$T/errf"
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/logf" "$T/errf"; fail "FIFO + loop: exit $rc, want 1 (124: it hung)"; }
grep -q "fifo.tif: not a regular file" "$T/errf" || { cat "$T/errf"; fail "FIFO reason"; }
grep -q "2 images" "$T/logf" || { cat "$T/logf"; fail "the link loop was followed: $(head -1 "$T/logf")"; }
set +e
"$BIN" segment "$F/sub/fifo.tif" --magnification 10x -o "$T/fifo1" > /dev/null 2> "$T/errf1"; rc=$?
set -e
[ $rc = 3 ] && grep -q "fifo.tif: not a regular file" "$T/errf1" || fail "a FIFO as FILE: exit $rc: $(cat "$T/errf1")"

# --- bad inputs, each its own failure, the good image unaffected ---
B="$T/bad"; mkdir -p "$B"
cp "${imgs[0]}" "$B/good.png"
echo "this is not an image" > "$B/text.tif"
head -c 300 "$T/out/10X/WellA/WellA_Tile-1_labels.tif" > "$B/truncated.tif"
head -c 100 "${imgs[1]}" > "$B/truncated.png"
mk_tiff "$B/zero.tif" 0 0 8 1
mk_tiff "$B/signed.tif" 8 8 16 2
: > "$B/empty.tif"
set +e
"$BIN" segment --10x "$B/good.png" "$B/text.tif" "$B/truncated.tif" "$B/truncated.png" "$B/zero.tif" \
    "$B/signed.tif" "$B/empty.tif" "$B/missing.tif" -o "$T/badout" -j 2 --progress lines > "$T/log5" 2> "$T/err5"
rc=$?
set -e
cat "$T/err5"
[ $rc = 1 ] || fail "bad-input run exit $rc, want 1"
[ -s "$T/badout/10X/good/good_labels.tif" ] || fail "good image lost among bad ones"
for f in text.tif truncated.tif truncated.png zero.tif signed.tif empty.tif missing.tif; do
  [ "$(grep -c "FAILED $B/$f" "$T/err5")" = 1 ] || fail "no single error line for $f"
done
grep -q '"failed":[[:space:]]*7' "$T/badout/segmentation_summary.json" || fail "7 failures in summary"
[ "$(ls "$T/badout/10X/" | wc -l)" = 1 ] || fail "bad inputs left outputs: $(ls "$T/badout/10X")"

# --- too large: refused before allocating ---
set +e
"$BIN" segment "$B/good.png" --magnification 10x --max-pixels 1000 -o "$T/big" --progress lines > /dev/null 2> "$T/err6"
rc=$?
set -e
[ $rc = 1 ] && grep -q "good.png.*1000" "$T/err6" || { cat "$T/err6"; fail "max-pixels"; }

# --- the end of a batch: workers left without images lend their cores to the last
# images (bands and output files on helper threads); the outputs are those of one worker ---
"$BIN" synth "$T/syn" --wells 1 --tiles-10x 4 --size-40x 256 > /dev/null
"$BIN" segment "$T/syn" -o "$T/one" -j 1 --progress quiet > /dev/null 2>&1 || fail "synthetic plate, 1 worker"
"$BIN" segment "$T/syn" -o "$T/two" -j 2 --progress quiet > /dev/null 2>&1 || fail "synthetic plate, 2 workers"
n=0
for f in $(cd "$T/one" && find . -name "*_labels.tif" -o -name "*_nuclei.csv" -o -name "*.npy"); do
  cmp -s "$T/one/$f" "$T/two/$f" || fail "$f differs between 1 and 2 workers"
  n=$((n + 1))
done
[ "$n" = 24 ] || fail "compared $n outputs, expected 24 (8 images x 3)"

# --- usage errors and fatal errors ---
set +e
"$BIN" segment > /dev/null 2>&1; [ $? = 2 ] || fail "no input should be usage (2)"
"$BIN" segment "$T/nowhere" -o "$T/x" > /dev/null 2>&1; [ $? = 3 ] || fail "missing dir should be fatal (3)"
mkdir "$T/noimages"
"$BIN" segment "$T/noimages" -o "$T/x" > /dev/null 2> "$T/e0"; rc=$? # UBSan once flagged qsort(NULL, 0) here
[ $rc = 3 ] && grep -q "no TIFF or PNG images found" "$T/e0" || fail "a folder without images: exit $rc, $(cat "$T/e0")"
"$BIN" segment "$T/plate" -j 0 > /dev/null 2>&1; [ $? = 2 ] || fail "-j 0 should be usage (2)"
"$BIN" segment "$T/plate" -j 5000 > /dev/null 2> "$T/j.err"; [ $? = 2 ] || fail "-j 5000 should be usage (2)"
grep -q "from 1 to 4096" "$T/j.err" || fail "-j 5000: the error does not give the range: $(cat "$T/j.err")"
# Values that are numbers only in part, or not finite, or out of range, are usage errors.
for bad in "-j 2x" "-j ''" "--channel ''" "--channel -1" "--diameter inf" "--diameter nan" "--timeout 0" \
           "--max-pixels 1e300" "--max-pixels 0.5" "--threshold-scale 1e999"; do
    eval "set -- $bad"
    "$BIN" segment "$T/plate" -o "$T/usage_out" "$@" > /dev/null 2> "$T/bad.err"; rc=$?
    [ $rc = 2 ] || fail "segment $bad should be usage (2), got $rc"
    grep -q "^nucseg segment: " "$T/bad.err" || fail "segment $bad: no message: $(cat "$T/bad.err")"
done
[ ! -e "$T/usage_out" ] || fail "a usage error created the output folder"
set -e
echo "PASS test_segment_cli"
