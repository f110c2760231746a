#!/usr/bin/env bash
# test_eval_cli.sh — `nucseg eval GT_DIR PRED_DIR` on tiny hand-made label TIFFs: a missing
# PRED_DIR, every prediction missing, a ground truth with label values over the limit, two
# candidate predictions for one image, and a clean run; exit statuses and messages.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?set NUCSEG_BIN to the nucseg binary}
# shellcheck source=tiff_craft.sh source-path=SCRIPTDIR
source "$(dirname "$0")/tiff_craft.sh"

# label_tiff FILE VALUE: an 8x8 32-bit label image with a 2x2 object of label VALUE at (1, 1).
label_tiff() {
  mk_tiff "$1" 8 8 32 1
  local data=134 px # mk_tiff's pixel data starts after the 10-entry IFD: 8 + 2 + 10 * 12 + 4
  for px in 9 10 17 18; do
    le32 "$2" | dd of="$1" bs=1 seek=$((data + 4 * px)) conv=notrunc status=none
  done
}
run_eval() { # GT PRED: sets rc, output in $T/out, $T/err
  rc=0
  "$BIN" eval "$1" "$2" >"$T/out" 2>"$T/err" || rc=$?
}

mkdir -p "$T/gt" "$T/pred/x"
label_tiff "$T/gt/a_labels.tif" 1
label_tiff "$T/gt/b_labels.tif" 7
label_tiff "$T/pred/x/a_labels.tif" 3
label_tiff "$T/pred/x/b_labels.tif" 5

# Clean: both images scored, perfect, exit 0.
run_eval "$T/gt" "$T/pred"
[ "$rc" -eq 0 ] || { cat "$T/err"; fail "clean run: exit $rc"; }
grep -q "mean over 2 images: F1@0.5 1.0000" "$T/out" || { cat "$T/out"; fail "clean run scores"; }

# PRED_DIR missing: exit 3 naming it, not "no prediction" for every image.
run_eval "$T/gt" "$T/nonex"
[ "$rc" -eq 3 ] || fail "missing PRED_DIR: exit $rc, expected 3"
grep -q "$T/nonex: no such directory (PRED_DIR)" "$T/err" || { cat "$T/err"; fail "missing PRED_DIR: message"; }
! grep -q "no prediction" "$T/err" || fail "missing PRED_DIR reported per image"

# PRED_DIR there but every prediction missing: exit 1 (some failed), each one listed.
mkdir -p "$T/empty"
run_eval "$T/gt" "$T/empty"
[ "$rc" -eq 1 ] || fail "no predictions: exit $rc, expected 1"
for id in a b; do
  grep -q "${id}_labels.tif: no prediction ${id}_labels.tif under $T/empty" "$T/err" \
    || { cat "$T/err"; fail "no predictions: $id not listed"; }
done

# Label values over the limit in the ground truth: the ground-truth file is named, with the limit.
mkdir -p "$T/gtbig"
label_tiff "$T/gtbig/a_labels.tif" 1000000
run_eval "$T/gtbig" "$T/pred"
[ "$rc" -eq 1 ] || fail "huge ground-truth labels: exit $rc, expected 1"
grep -q "$T/gtbig/a_labels.tif: label values up to 1000000 on 64 pixels; the limit is 4 x pixels + 65536 = 65792" "$T/err" \
  || { cat "$T/err"; fail "huge ground-truth labels: message"; }

# Two candidate predictions for one image: that image fails naming both; the other is scored.
mkdir -p "$T/pred/y"
label_tiff "$T/pred/y/a_labels.tif" 3
run_eval "$T/gt" "$T/pred"
[ "$rc" -eq 1 ] || fail "ambiguous prediction: exit $rc, expected 1"
grep -q "a_labels.tif: 2 candidate predictions, not scored: $T/pred/x/a_labels.tif $T/pred/y/a_labels.tif" "$T/err" \
  || { cat "$T/err"; fail "ambiguous prediction: message"; }
grep -q "mean over 1 images" "$T/out" || { cat "$T/out"; fail "ambiguous prediction: b not scored"; }

"$BIN" eval --help | grep -q "usage: nucseg eval"
echo "PASS test_eval_cli"
