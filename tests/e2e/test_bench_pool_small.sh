#!/usr/bin/env bash
# test_bench_pool_small.sh — the pool benchmarks of `make bench` on a tiny batch (what they
# measure is not checked here: speed is for `make bench`): bench_pool writes its two CSVs,
# whose speedups follow from their own wall times, reports the pairs and removes its scratch;
# bench/pool_vs_split.sh times its three runs and rejects bad command lines.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"
: "${NUCSEG_SRC:?NUCSEG_SRC must name the source tree}"
POOL=$(dirname "$NUCSEG_BIN")/bench_pool
SPLIT=$NUCSEG_SRC/bench/pool_vs_split.sh

[ -x "$POOL" ] || fail "$POOL not built"

"$POOL" "$T/pool" --images 3 --size 96 --repeats 2 >"$T/pool.txt" 2>&1 || fail "bench_pool exited with $? ($(tail -1 "$T/pool.txt"))"
[ ! -e "$T/pool/pool_scratch" ] || fail "bench_pool left its scratch outputs behind"
[ "$(find "$T/pool/pool_inputs" -name '*.tif' | wc -l)" -eq 3 ] || fail "expected 3 inputs"
grep -q '^pairs: [0-2] of 2 at >= 1.8x; single pairs [0-9.]*x to [0-9.]*x$' "$T/pool.txt" || fail "no pairs line"
grep -q 'MISS (too few images to judge)' "$T/pool.txt" || fail "3 images judged against the 16-image target"

# pool_speedup.csv: rows 1 and 2, speedup = wall(1) / wall(w)
awk -F, 'NR == 1 { if ($0 != "workers,wall_s,speedup,pairs,pairs_at_target,pair_speedup_min,pair_speedup_max") exit 1; next }
         { w[$1] = $2; s[$1] = $3; n++ }
         END { if (n != 2 || !(w[1] > 0) || !(w[2] > 0)) exit 1
               d = s[2] - w[1] / w[2]; if (d < 0) d = -d; if (d > 1e-3 || s[1] != "1.0000") exit 1 }' \
    "$T/pool/pool_speedup.csv" || fail "pool_speedup.csv malformed or inconsistent"
# pool_pairs.csv: one row per repeat, speedup = wall_1 / wall_2 of that repeat
awk -F, 'NR == 1 { if ($0 != "repeat,wall_1_s,wall_2_s,speedup") exit 1; next }
         { n++; if ($1 != n || !($2 > 0) || !($3 > 0)) exit 1
           d = $4 - $2 / $3; if (d < 0) d = -d; if (d > 1e-3) exit 1 }
         END { if (n != 2) exit 1 }' "$T/pool/pool_pairs.csv" || fail "pool_pairs.csv malformed or inconsistent"
# row 2's spread of the pairs is that of pool_pairs.csv, and the console says the same
spread=$(awk -F, 'NR > 1 { n++; s = $4; if (s >= 1.8) k++; if (n == 1 || s < lo) lo = s; if (s > hi) hi = s }
                  END { printf "2,%d,%d,%.4f,%.4f", n, k, lo, hi }' "$T/pool/pool_pairs.csv")
got=$(awk -F, '$1 == 2 { printf "2,%s,%s,%s,%s", $4, $5, $6, $7 }' "$T/pool/pool_speedup.csv")
[ "$got" = "$spread" ] || fail "pool_speedup.csv's spread $got, the pairs give $spread"
grep -q "^pairs: $(echo "$spread" | cut -d, -f3) of 2 at >= 1.8x" "$T/pool.txt" || fail "console pairs line disagrees with the CSV"
# the summary's median speedup is that of the medians of the pairs' wall times
awk -F, 'NR == FNR { if (FNR > 1) { a[FNR - 1] = $2; b[FNR - 1] = $3 } next }
         FNR > 1 && $1 == 1 { m1 = $2 } FNR > 1 && $1 == 2 { m2 = $2 }
         END { e1 = (a[1] + a[2]) / 2; e2 = (b[1] + b[2]) / 2
               if ((m1 - e1) ^ 2 > 1e-10 || (m2 - e2) ^ 2 > 1e-10) exit 1 }' \
    "$T/pool/pool_pairs.csv" "$T/pool/pool_speedup.csv" || fail "medians disagree with the pairs"

"$SPLIT" "$NUCSEG_BIN" "$T/pool/pool_inputs" "$T/split" 2 10 >"$T/split.txt" 2>&1 || fail "pool_vs_split.sh exited with $?"
awk -F, 'NR == 1 { if ($0 != "round,j1_s,j2_s,split_s") exit 1; next }
         { n++; if ($1 != n || !($2 > 0) || !($3 > 0) || !($4 > 0)) exit 1 }
         END { if (n != 2) exit 1 }' "$T/split/pool_vs_split.csv" || fail "pool_vs_split.csv malformed"
grep -q '^speedup against -j 1: pool (-j 2) [0-9.]*x, split by hand [0-9.]*x$' "$T/split.txt" || fail "no speedup line"
# the per-round figure is the median of j2/split over the CSV's rounds (2 rounds: their
# mean); the script rounds it twice (4 decimals in its CSV, then 3 on the console), so
# the last digit may differ by one from a single rounding
want=$(awk -F, 'NR > 1 { s += $3 / $4; n++ } END { printf "%.6f", s / n }' "$T/split/pool_vs_split.csv")
got=$(sed -n 's/^per round, -j 2 took \([0-9.]*\) times as long as the split (median of 2 rounds)$/\1/p' "$T/split.txt")
if [ -z "$got" ] || ! awk -v g="$got" -v w="$want" 'BEGIN { exit !((g - w) ^ 2 <= 0.0011 ^ 2) }'; then
    fail "per-round line missing or not $want: $(grep '^per round' "$T/split.txt")"
fi
awk -F, 'NR == 1 { if ($0 != "rounds,j1_s,j2_s,split_s,j2_over_split") exit 1; next }
         NR == 2 { if ($1 != 2 || !($2 > 0) || !($3 > 0) || !($4 > 0) || !($5 > 0)) exit 1 }
         END { if (NR != 2) exit 1 }' "$T/split/pool_vs_split_medians.csv" || fail "pool_vs_split_medians.csv malformed"
if [ -e "$T/split/scratch" ] || [ -e "$T/split/half_1" ]; then fail "pool_vs_split.sh left its scratch behind"; fi

# bad command lines: usage errors (2), and a failing run is a failure (3), not a figure
set +e
"$SPLIT" "$NUCSEG_BIN" "$T/pool/pool_inputs" "$T/x" 0 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "ROUNDS 0 gave exit status $rc, expected 2"
"$SPLIT" "$NUCSEG_BIN" "$T/nowhere" "$T/x" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "a missing INPUT_DIR gave exit status $rc, expected 2"
mkdir -p "$T/bad"
printf 'not a tiff' >"$T/bad/a_1.tif"
printf 'not a tiff' >"$T/bad/b_1.tif"
"$SPLIT" "$NUCSEG_BIN" "$T/bad" "$T/y" 1 >/dev/null 2>"$T/err.txt"; rc=$?
[ "$rc" -eq 3 ] || fail "unreadable images gave exit status $rc, expected 3"
grep -q 'failed (log: ' "$T/err.txt" || fail "the failing run is not named"
"$POOL" "$T/z" --repeats 0 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "bench_pool --repeats 0 gave exit status $rc, expected 2"
set -e
echo "test_bench_pool_small: ok"
