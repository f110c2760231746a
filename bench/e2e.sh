#!/usr/bin/env bash
# e2e.sh BIN OUT — file to file: `nucseg segment` against its Python peer
# (bench/peer_skimage_e2e.py: ProcessPoolExecutor, skimage read, the scikit-image
# segmentation of bench_segment, zlib label TIFF, regionprops_table CSV, centroid .npy,
# metadata JSON), both at -j 1 and -j 2, in the same run, on
#   dsb2018: every image of ../shared/data/dsb2018-dev and dsb2018-train (8-bit PNGs;
#            DSB_DATA=DIR... to name other folders; skipped when none is there), and
#   plate:   the default synthetic plate of `nucseg synth` (16-bit Deflate TIFFs, 8 × 1024²
#            10X and 8 × 2048² 40X).
# Each command runs as a whole process (start-up, reading, writing, the pool), timed from
# outside: wall seconds, and CPU seconds (user + system of it and its children). Every
# run writes into a fresh folder under E2E_OUTPUTS (default OUT/outputs). REPEATS (default
# 1) runs of each, interleaved; the median is reported.
# Writes OUT/e2e.csv (one row per dataset, tool and -j) and OUT/e2e.md (the table).
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 BIN OUT" >&2; exit 2; fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEER="$SRC/bench/peer_skimage_e2e.py"
PY=/usr/bin/python3
REPEATS=${REPEATS:-1}
OUTPUTS=${E2E_OUTPUTS:-$OUT/outputs}
mkdir -p "$OUTPUTS"
rm -rf "${OUTPUTS:?}"/run_*

# --- inputs ---
datasets=()
DSB_DATA=${DSB_DATA:-"$SRC/../shared/data/dsb2018-dev $SRC/../shared/data/dsb2018-train"}
rm -rf "$OUT/dsb2018"
mkdir -p "$OUT/dsb2018"
for d in $DSB_DATA; do
  [ -d "$d" ] || continue
  for f in "$d"/*.png; do
    case $f in *_labels.png) ;; *) ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$OUT/dsb2018/" ;; esac
  done
done
if [ -n "$(ls "$OUT/dsb2018")" ]; then datasets+=(dsb2018); else echo "e2e: no DSB2018 images under $DSB_DATA: skipped" >&2; fi
if [ ! -d "$OUT/plate/phenotyping" ]; then
  "$BIN" synth "$OUT/plate" > "$OUT/synth.log" 2>&1 || { cat "$OUT/synth.log" >&2; exit 1; }
fi
datasets+=(plate)

# The images nucseg segments, in the same order, for the peer (no labels, no previews).
list_of() {
  case $1 in
    dsb2018) ls "$OUT/dsb2018"/*.png | sort ;;
    plate) ls "$OUT/plate/genotyping/cycle_1"/*.tif "$OUT/plate/phenotyping"/*.tif | sort ;;
  esac
}
input_of() { echo "$OUT/$1"; }
mag_args() { case $1 in dsb2018) echo "--magnification auto" ;; plate) echo "" ;; esac; }

# run_one DATASET TOOL J K: one timed run; appends "dataset,tool,j,k,wall_s,cpu_s,images" to runs.csv.
run_one() {
  local ds=$1 tool=$2 j=$3 k=$4
  local dest="$OUTPUTS/run_${ds}_${tool}_j${j}_$k"
  local tf="$OUT/time_${ds}_${tool}_j${j}_$k"
  local log="$OUT/log_${ds}_${tool}_j${j}_$k"
  if [ "$tool" = nucseg ]; then
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %U %S" -o "$tf" "$BIN" segment "$(input_of "$ds")" $(mag_args "$ds") -o "$dest" -j "$j" \
      --progress quiet > "$log" 2>&1 || { cat "$log" >&2; return 1; }
    n=$(ls "$dest"/*/*/*_metadata.json | wc -l)
  else
    /usr/bin/time -f "%e %U %S" -o "$tf" "$PY" "$PEER" "$OUT/list_$ds.txt" -o "$dest" -j "$j" > "$log" 2>&1 \
      || { cat "$log" >&2; return 1; }
    n=$(ls "$dest"/*_metadata.json | wc -l)
  fi
  read -r wall user sys < "$tf"
  echo "$ds,$tool,$j,$k,$wall,$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }'),$n" >> "$OUT/runs.csv"
  printf '  %-8s %-7s -j %s run %s: %6.2f s wall, %6.2f s CPU, %s images\n' "$ds" "$tool" "$j" "$k" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$n"
}

echo "dataset,tool,j,run,wall_s,cpu_s,images" > "$OUT/runs.csv"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ds in "${datasets[@]}"; do
  list_of "$ds" > "$OUT/list_$ds.txt"
  echo "e2e: $ds, $(wc -l < "$OUT/list_$ds.txt") images, outputs under $OUTPUTS ($(df -PT "$OUTPUTS" | awk 'NR == 2 { print $2 }'))"
  for k in $(seq 1 "$REPEATS"); do
    for j in 1 2; do
      run_one "$ds" nucseg "$j" "$k"
      run_one "$ds" peer "$j" "$k"
    done
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# Medians per dataset, tool and -j; the table.
awk -F, 'NR > 1 { key = $1 "," $2 "," $3; w[key] = w[key] " " $5; c[key] = c[key] " " $6; n[key] = $7 }
  function median(s,   a, k, i, j, t) { k = split(s, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
  END { print "dataset,tool,j,wall_s,cpu_s,images"
        for (key in w) print key "," median(w[key]) "," median(c[key]) "," n[key] }' "$OUT/runs.csv" \
  | sort > "$OUT/e2e.csv"
get() { awk -F, -v d="$1" -v t="$2" -v j="$3" -v col="$4" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                  $1 == d && $2 == t && $3 == j { print $c[col] }' "$OUT/e2e.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else printf "—" }'; }
{
  echo "# nucseg segment vs the Python peer, file to file"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), $(nproc) CPUs; load average (1, 5, 15 min) at start $LOAD_START, at end $LOAD_END."
  echo "Outputs on $(df -PT "$OUTPUTS" | awk 'NR == 2 { print $2 }') ($OUTPUTS). Median of $REPEATS run(s). Ratio = peer / nucseg."
  echo "Wall: what a user waits for. CPU: user + system seconds of the process and its children (less sensitive to other load)."
  echo
  echo "| dataset | images | -j | nucseg wall s | peer wall s | wall ratio | nucseg CPU s | peer CPU s | CPU ratio |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for ds in "${datasets[@]}"; do
    for j in 1 2; do
      nw=$(get "$ds" nucseg "$j" wall_s); pw=$(get "$ds" peer "$j" wall_s)
      nc=$(get "$ds" nucseg "$j" cpu_s); pc=$(get "$ds" peer "$j" cpu_s)
      echo "| $ds | $(get "$ds" nucseg "$j" images) | $j | $nw | $pw | $(ratio "$pw" "$nw") | $nc | $pc | $(ratio "$pc" "$nc") |"
    done
  done
} > "$OUT/e2e.md"
cat "$OUT/e2e.md"
