#!/usr/bin/env bash
# test_map_plate.sh — acceptance: synthesise a plate, segment it, map every 40X site
# into its 10X tile from centroids alone, and check against the truth: right tile
# for every site, max corner error < 0.5 px (10X), match precision >= 0.99, recall >= 0.95.
set -euo pipefail

BIN=${NUCSEG_BIN:?NUCSEG_BIN must point at the nucseg binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$BIN" synth "$T/plate" --seed 3 >"$T/synth.log"
"$BIN" segment "$T/plate" -o "$T/seg" >"$T/segment.log" 2>&1 || { cat "$T/segment.log"; exit 1; }
status=0
"$BIN" map "$T/seg" -o "$T/map" --truth "$T/plate/truth.json" | tee "$T/map.log" || status=$?
[ "$status" -eq 0 ] || { echo "FAIL: nucseg map exited $status"; exit 1; }

csv="$T/map/mapping.csv"
expected="tile_40x,tile_10x,well,a,b,tx,c,d,ty,rmsd,inliers,score,status,true_tile_10x,corner_error_px"
[ "$(head -n 1 "$csv")" = "$expected" ] || { echo "FAIL: mapping.csv header: $(head -n 1 "$csv")"; exit 1; }
[ "$(head -n 1 "$T/map/matches.csv")" = "tile_40x,tile_10x,well,label_40x,label_10x,x_40x,y_40x,x_10x,y_10x,distance" ] \
    || { echo "FAIL: matches.csv header"; exit 1; }

# Every 40X site: status ok, predicted tile == true tile, corner error < 0.5 px.
awk -F, 'NR > 1 {
    n++
    if ($13 != "ok")         { print "FAIL: " $1 " status " $13; bad++ }
    if ($2 != $14)           { print "FAIL: " $1 " mapped to " $2 ", truth " $14; bad++ }
    if ($15 == "" || $15 + 0 >= 0.5) { print "FAIL: " $1 " corner error " $15; bad++ }
    if ($15 + 0 > worst) worst = $15 + 0
  }
  END {
    if (n == 0) { print "FAIL: no 40X tiles in mapping.csv"; exit 1 }
    printf "%d sites mapped to their true 10X tile, max corner error %.4f px\n", n, worst
    exit bad > 0
  }' "$csv"

# Match precision / recall from the summary (one "key": value per line).
value() { grep -o "\"$1\":[[:space:]]*[0-9.eE+-]*" "$T/map/mapping_summary.json" | head -n 1 | sed 's/.*:[[:space:]]*//'; }
precision=$(value match_precision)
recall=$(value match_recall)
echo "match precision $precision, recall $recall"
awk -v p="$precision" -v r="$recall" 'BEGIN {
    if (p == "" || p + 0 < 0.99) { print "FAIL: precision " p " < 0.99"; exit 1 }
    if (r == "" || r + 0 < 0.95) { print "FAIL: recall " r " < 0.95"; exit 1 }
}'
echo "PASS"
