#!/usr/bin/env bash
# map_vs_triangle_hash.sh NUCSEG OUT_DIR [SEEDS...] — time `nucseg map` against the
# reference method re-implemented in Python (bench/peer_triangle_hash.py) on the same
# centroid files of the default synthetic plate (seeds 1 2 3 by default), then run the
# perturbation table (bench_map_perturb, next to NUCSEG) on the same plates.
set -euo pipefail
BIN=${1:?usage: map_vs_triangle_hash.sh NUCSEG OUT_DIR [SEEDS...]}
OUT=${2:?usage: map_vs_triangle_hash.sh NUCSEG OUT_DIR [SEEDS...]}
shift 2
SEEDS=${*:-1 2 3}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"
plates=()
for s in $SEEDS; do
  p="$OUT/plate-$s"
  if [ ! -f "$p/truth.json" ]; then
    "$BIN" synth "$p" --seed "$s" >/dev/null
    "$BIN" segment "$p" -o "$p/seg" >/dev/null 2>&1
  fi
  plates+=("$p")
done
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU seconds (user + system) as well as wall: on a shared machine the wall clock of
# either side depends on what else runs; the CPU time much less. Best of three each.
best_of3() { # CMD... -> "wall cpu" of the run with the least CPU
  local best_w=1e9 best_c=1e9 w c
  for rep in 1 2 3; do
    read -r w c < <( { /usr/bin/time -f "%e %U %S" "$@" >/dev/null; } 2>&1 | tail -n 1 | awk '{print $1, $2 + $3}')
    if awk -v a="$c" -v b="$best_c" 'BEGIN { exit !(a < b) }'; then best_w=$w; best_c=$c; fi
  done
  echo "$best_w $best_c"
}
for p in "${plates[@]}"; do
  read -r nw nc < <(best_of3 "$BIN" map "$p/seg" -o "$OUT/map")
  read -r pw pc < <(best_of3 "$PY" "$HERE/peer_triangle_hash.py" "$p/seg")
  awk -v p="$p" -v nw="$nw" -v nc="$nc" -v pw="$pw" -v pc="$pc" 'BEGIN {
    printf "%s: nucseg map %.2f s wall %.2f s CPU; peer_triangle_hash %.2f s wall %.2f s CPU; ratio %.1fx wall %.1fx CPU\n",
           p, nw, nc, pw, pc, pw / nw, pc / nc }'
done
"$(dirname "$BIN")/bench_map_perturb" --csv "$OUT/map_perturb.csv" "${plates[@]}"
