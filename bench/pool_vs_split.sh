#!/usr/bin/env bash
# pool_vs_split.sh BIN INPUT_DIR OUT [ROUNDS] [DIAMETER] — when two workers fall short of 2x,
# is it the pool or the host?
#
# Each round times, through the CLI as a user runs it, one after the other in a random order
# (no run always follows the same one):
#   j1     nucseg segment INPUT_DIR -j 1
#   j2     nucseg segment INPUT_DIR -j 2
#   split  two `nucseg segment -j 1`, each on every other image of INPUT_DIR, started at once
# The split has no shared queue, no lending and no coordination: it is what this host gives two
# independent processes doing the same work in the same minute. When it falls short of 1.8x as
# well, the shortfall is the host's. Outputs go to OUT/scratch (removed after each run); writes
# OUT/pool_vs_split.csv (round,j1_s,j2_s,split_s) and OUT/pool_vs_split_medians.csv (the
# medians, and the median over rounds of -j 2's time over the split's), and prints them.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 5 ]; then
  echo "usage: $0 BIN INPUT_DIR OUT [ROUNDS (15)] [DIAMETER (10)]" >&2
  exit 2
fi
BIN=$1
IN=$2
OUT=$3
ROUNDS=${4:-15}
DIAM=${5:-10}
[ -x "$BIN" ] || { echo "pool_vs_split.sh: $BIN: not an executable" >&2; exit 2; }
[ -d "$IN" ] || { echo "pool_vs_split.sh: $IN: not a folder" >&2; exit 2; }
case $ROUNDS in '' | *[!0-9]* | 0) echo "pool_vs_split.sh: ROUNDS: want a positive integer" >&2; exit 2 ;; esac

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SCRATCH=$OUT/scratch
HALF=("$OUT/half_1" "$OUT/half_2")
rm -rf "$SCRATCH" "${HALF[@]}"
mkdir -p "${HALF[@]}"
# Every other image (in name order) to each half, as links: the same files as the full run.
n=0
for f in "$IN"/*.tif; do
  [ -e "$f" ] || continue
  ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "${HALF[$((n % 2))]}/"
  n=$((n + 1))
done
[ "$n" -ge 2 ] || { echo "pool_vs_split.sh: $IN: fewer than 2 TIFF images" >&2; exit 2; }

now_us() { echo $(($(date +%s%N) / 1000)); }
# seg OUTDIR INPUT -j N: one CLI run; a failed run fails the benchmark (its time would mean nothing).
seg() {
  local dir=$1
  shift
  if ! "$BIN" segment "$@" -o "$dir" --diameter "$DIAM" >"$dir.log" 2>&1; then
    echo "pool_vs_split.sh: nucseg segment $* failed (log: $dir.log)" >&2
    exit 3
  fi
}

CSV=$OUT/pool_vs_split.csv
TMP=$CSV.tmp.$$
echo "round,j1_s,j2_s,split_s" >"$TMP"
echo "$n images of $IN, $ROUNDS rounds of: -j 1, -j 2, two -j 1 on halves at once"
# run MODE: one timed run; its wall time in µs in T[MODE].
declare -A T
run() {
  local t0 p
  t0=$(now_us)
  case $1 in
    j1) seg "$SCRATCH/j1" "$IN" -j 1 ;;
    j2) seg "$SCRATCH/j2" "$IN" -j 2 ;;
    split)
      seg "$SCRATCH/h1" "${HALF[0]}" -j 1 &
      p=$!
      seg "$SCRATCH/h2" "${HALF[1]}" -j 1
      wait "$p" || exit 3
      ;;
  esac
  T[$1]=$(($(now_us) - t0))
}
for r in $(seq "$ROUNDS"); do
  rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
  for mode in $(printf 'j1\nj2\nsplit\n' | shuf); do run "$mode"; done
  awk -v r="$r" -v a="${T[j1]}" -v b="${T[j2]}" -v c="${T[split]}" \
    'BEGIN { printf "%d,%.6f,%.6f,%.6f\n", r, a / 1e6, b / 1e6, c / 1e6 }' >>"$TMP"
done
rm -rf "$SCRATCH" "${HALF[@]}"
mv -f "$TMP" "$CSV"

# Medians of each column, and round by round -j 2 over the split (a round's runs are seconds
# apart, where the medians mix minutes: the steadier comparison).
MED=$OUT/pool_vs_split_medians.csv
awk -F, 'NR > 1 { a[NR - 1] = $2; b[NR - 1] = $3; c[NR - 1] = $4; q[NR - 1] = $3 / $4; n = NR - 1 }
  function median(v, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    print "rounds,j1_s,j2_s,split_s,j2_over_split"
    printf "%d,%.6f,%.6f,%.6f,%.4f\n", n, median(a, n), median(b, n), median(c, n), median(q, n)
  }' "$CSV" >"$MED.tmp.$$"
mv -f "$MED.tmp.$$" "$MED"
awk -F, 'NR == 2 {
    printf "medians of %d rounds: -j 1 %.3f s, -j 2 %.3f s, split %.3f s\n", $1, $2, $3, $4
    printf "speedup against -j 1: pool (-j 2) %.2fx, split by hand %.2fx\n", $2 / $3, $2 / $4
    printf "per round, -j 2 took %.3f times as long as the split (median of %d rounds)\n", $5, $1
  }' "$MED"
echo "wrote $CSV and $MED"
