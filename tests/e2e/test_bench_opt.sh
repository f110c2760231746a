#!/usr/bin/env bash
# test_bench_opt.sh — `nucseg bench-opt` on a tiny hand-made mapping: two mapped tile pairs
# whose nucleus matches come from a known 40X→10X transform plus 0.3 px noise, and one
# unmapped tile. Checks the outputs exist, every fit from a small start perturbation
# (k <= 2) reaches the closed-form optimum, the true-corner error is small, and the exit codes.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

BIN=${NUCSEG_BIN:?set NUCSEG_BIN to the nucseg binary}
mkdir -p "$T/seg" "$T/mapping"

# matches.csv: 300 pairs per tile, X = a x + b y + tx (+ noise), deterministic (awk srand).
awk -v seed=7 'BEGIN {
  srand(seed); pi = atan2(0, -1)
  print "tile_40x,tile_10x,well,label_40x,label_10x,x_40x,y_40x,x_10x,y_10x,distance"
  split("Well1_Site-0 Well2_Site-0", t40, " "); split("Well1_Tile-2 Well2_Tile-0", t10, " ")
  split("Well1 Well2", well, " ")
  for (p = 1; p <= 2; p++) {
    th = (p == 1 ? 2 : -1.5) * pi / 180; s = 0.25; tx = (p == 1 ? 300 : 410); ty = (p == 1 ? 200 : 95)
    a = s * cos(th); b = -s * sin(th); c = s * sin(th); d = s * cos(th)
    for (i = 1; i <= 300; i++) {
      x = 2048 * rand(); y = 2048 * rand()
      g1 = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
      g2 = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
      X = a * x + b * y + tx + 0.3 * g1; Y = c * x + d * y + ty + 0.3 * g2
      printf "%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.4f\n", t40[p], t10[p], well[p], i, i, x, y, X, Y, 0.3
    }
    truth[p] = sprintf("[%.15g, %.15g, %.15g, %.15g, %.15g, %.15g]", a, b, tx, c, d, ty)
  }
  printf "{\"tiles\": [" > "'"$T"'/truth.json"
  printf "{\"stem\": \"Well1_Site-0\", \"well\": \"Well1\", \"magnification\": \"40X\", \"width\": 2048, \"height\": 2048}," > "'"$T"'/truth.json"
  printf "{\"stem\": \"Well2_Site-0\", \"well\": \"Well2\", \"magnification\": \"40X\", \"width\": 2048, \"height\": 2048}]," > "'"$T"'/truth.json"
  printf "\"pairs\": [{\"tile_40x\": \"Well1_Site-0\", \"tile_10x\": \"Well1_Tile-2\", \"well\": \"Well1\", \"affine_40x_to_10x\": %s},", truth[1] > "'"$T"'/truth.json"
  printf "{\"tile_40x\": \"Well2_Site-0\", \"tile_10x\": \"Well2_Tile-0\", \"well\": \"Well2\", \"affine_40x_to_10x\": %s}]}\n", truth[2] > "'"$T"'/truth.json"
}' >"$T/mapping/matches.csv"

# mapping.csv: the mapper's transforms are near the truth; one tile is unmapped.
cat >"$T/mapping/mapping.csv" <<'CSV'
tile_40x,tile_10x,well,a,b,tx,c,d,ty,rmsd,inliers,score,status
Well1_Site-0,Well1_Tile-2,Well1,0.24985,-0.00872,300.1,0.00872,0.24985,199.9,0.42,300,0.95,ok
Well2_Site-0,Well2_Tile-0,Well2,0.24991,0.00654,409.8,-0.00654,0.24991,95.2,0.43,300,0.94,ok
Well2_Site-1,,Well2,,,,,,,,0,0.05,unmapped
CSV

# Default MAP_DIR is SEG_DIR/../mapping.
rc=0
"$BIN" bench-opt "$T/seg" -o "$T/out" --truth "$T/truth.json" --trials 4 --seed 3 || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: bench-opt exit $rc"; exit 1; }

for f in optimizer_benchmark.csv optimizer_benchmark_summary.csv optimizer_benchmark_overall.csv \
         optimizer_benchmark.json rmsd_vs_perturbation.png rmsd_vs_perturbation.svg \
         time_vs_perturbation.png time_vs_perturbation.svg success_vs_perturbation.png \
         success_vs_perturbation.svg; do
  [ -s "$T/out/$f" ] || { echo "FAIL: $f missing or empty"; exit 1; }
done

# 2 pairs x 4 trials x 2 methods = 16 fits; the unmapped tile is not benchmarked.
rows=$(($(wc -l <"$T/out/optimizer_benchmark.csv") - 1))
[ "$rows" -eq 16 ] || { echo "FAIL: $rows rows, expected 16"; exit 1; }

# Every fit with a small start perturbation (k <= 2) reaches the closed-form optimum,
# and lands within 0.2 px (10X) of the true transform at the 40X tile corners.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["trial"] <= 2 {
    n++
    if ($c["success"] != 1) { print "FAIL: not at the optimum: " $0; bad = 1 }
    if ($c["true_corner_error_px"] == "" || $c["true_corner_error_px"] > 0.2) {
      print "FAIL: true corner error: " $0; bad = 1 }
    if ($c["rel_diff"] > 1e-6 || $c["iterations"] < 1 || $c["scratch_bytes"] <= 0) {
      print "FAIL: fields: " $0; bad = 1 }
  }
  END { if (n != 12) { print "FAIL: " n " rows with trial <= 2"; bad = 1 } exit bad }' \
  "$T/out/optimizer_benchmark.csv"

# Overall: one row per method, success rate reported, true corner error present.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { n++; if ($c["fits"] != 8 || $c["mean_true_corner_error_px"] == "" || $c["success_rate"] < 0.75) {
      print "FAIL: overall row: " $0; bad = 1 } }
  END { if (n != 2) { print "FAIL: " n " overall rows"; bad = 1 } exit bad }' \
  "$T/out/optimizer_benchmark_overall.csv"
grep -q '"L-BFGS-B"' "$T/out/optimizer_benchmark.json"
grep -q '"Levenberg-Marquardt"' "$T/out/optimizer_benchmark.json"

# Same seed, same perturbations: the start-dependent columns repeat exactly.
"$BIN" bench-opt "$T/seg" -o "$T/out2" --mapping "$T/mapping" --trials 4 --seed 3 >/dev/null
cut -d, -f1-12 "$T/out/optimizer_benchmark.csv" >"$T/a"
cut -d, -f1-12 "$T/out2/optimizer_benchmark.csv" >"$T/b"
cmp -s "$T/a" "$T/b" || { echo "FAIL: not reproducible with the same seed"; exit 1; }

# Nothing mapped: exit 3. Bad usage: exit 2.
mkdir -p "$T/empty"
head -1 "$T/mapping/mapping.csv" >"$T/empty/mapping.csv"
grep unmapped "$T/mapping/mapping.csv" >>"$T/empty/mapping.csv"
cp "$T/mapping/matches.csv" "$T/empty/"
rc=0; "$BIN" bench-opt "$T/seg" -o "$T/out3" --mapping "$T/empty" 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || { echo "FAIL: nothing mapped: exit $rc, expected 3"; exit 1; }
grep -q "nucseg bench-opt:" "$T/err"
# A SEG_DIR that does not exist is exit 3 naming it, even with --mapping given.
# A FIFO as mapping.csv: refused at once with one line (fopen would block for a writer).
mkdir -p "$T/fifomap" && mkfifo "$T/fifomap/mapping.csv" && cp "$T/mapping/matches.csv" "$T/fifomap/"
rc=0; timeout 60 "$BIN" bench-opt "$T/seg" -o "$T/outf" --mapping "$T/fifomap" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { echo "FAIL: bench-opt on a FIFO: exit $rc (124: it hung)"; exit 1; }
grep -q "mapping.csv: a FIFO, not a regular file; refused" "$T/err" || { cat "$T/err"; echo "FAIL: FIFO message"; exit 1; }
rc=0; "$BIN" bench-opt "$T/nonex" -o "$T/out4" --mapping "$T/mapping" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || { echo "FAIL: missing SEG_DIR: exit $rc, expected 3"; exit 1; }
grep -q "$T/nonex: no such directory (SEG_DIR)" "$T/err" || { cat "$T/err"; echo "FAIL: missing SEG_DIR: message"; exit 1; }
[ ! -e "$T/out4" ] || { echo "FAIL: missing SEG_DIR: outputs written"; exit 1; }
rc=0; "$BIN" bench-opt "$T/seg" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: missing -o: exit $rc, expected 2"; exit 1; }
"$BIN" bench-opt --help | grep -q "usage: nucseg bench-opt"
# Out-of-range counts are usage errors that state the range (above it, "need an integer >= 1"
# was no reason at all).
for bad in "--trials 0" "--trials 1000001" "--iterations 2000000" "--iterations x"; do
  read -r -a args <<< "$bad"
  rc=0; "$BIN" bench-opt "$T/seg" -o "$T/out5" --mapping "$T/mapping" "${args[@]}" >/dev/null 2>"$T/err" || rc=$?
  [ "$rc" -eq 2 ] || { echo "FAIL: $bad: exit $rc, expected 2"; exit 1; }
  grep -q "^nucseg bench-opt: ${args[0]} '${args[1]}': need a whole number from 1 to 1000000$" "$T/err" \
    || { cat "$T/err"; echo "FAIL: $bad: message does not state the range"; exit 1; }
  [ ! -e "$T/out5" ] || { echo "FAIL: $bad: outputs written"; exit 1; }
done

echo "test_bench_opt: ok"
