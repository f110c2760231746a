#!/usr/bin/env bash
# test_dsb_accuracy.sh — acceptance: default settings, no per-image tuning, on the 57
# real fluorescence images of tests/data/dsb2018-dev: mean F1@0.5 >= 0.85 and
# DSB2018 score >= 0.50 (the scikit-image pipeline scores 0.80 / 0.46 on such images).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
"$BIN" segment "$DATA" -o "$T/pred" -j 2 --progress quiet
"$BIN" eval "$DATA" "$T/pred" --csv "$T/scores.csv" | tee "$T/eval.txt" | tail -3
n=$(($(wc -l < "$T/scores.csv") - 1))
[ "$n" = 57 ] || { echo "FAIL: scored $n images, want 57"; exit 1; }
line=$(grep "^mean over" "$T/eval.txt")
f1=$(echo "$line" | sed 's/.*F1@0.5 \([0-9.]*\).*/\1/')
dsb=$(echo "$line" | sed 's/.*score \([0-9.]*\).*/\1/')
awk -v f="$f1" -v d="$dsb" 'BEGIN { if (f < 0.85 || d < 0.50) { printf "FAIL: F1 %s (>= 0.85), DSB %s (>= 0.50)\n", f, d; exit 1 } }'
echo "PASS test_dsb_accuracy: F1@0.5 $f1, DSB2018 $dsb"
