#!/usr/bin/env bash
# scaling_calibrate.sh BIN OUT [REPEATS] — the figures docs/scaling.md's model is calibrated
# on: a synthetic plate (32 10X tiles of 1024², 32 40X sites of 2048²) segmented with -j 1,
# -j 2 and under mpirun with 1..4 ranks (oversubscribed: this machine has 2 cores), each
# REPEATS times (default 2); then the input and output bytes per image and a cached read.
# Writes OUT/calibration.csv (one row per run, from each run's summary) and OUT/sizes.txt.
# Needs mpirun; as root, OpenMPI wants OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BIN OUT [REPEATS]" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$2
REPEATS=${3:-2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -d "$OUT/plate" ] || "$BIN" synth "$OUT/plate" --wells 2 --tiles-10x 16 --size-10x 1024 --size-40x 2048 > /dev/null
echo "config,repeat,images,megapixels,wall_s,images_per_s,worker_cpu_s,workers,ranks,load1" > "$OUT/calibration.csv"
mp=$(python3 -c "print(32 * 1024 * 1024 / 1e6 + 32 * 2048 * 2048 / 1e6)")
row() { # CONFIG REPEAT SUMMARY
  python3 - "$1" "$2" "$3" "$mp" >> "$OUT/calibration.csv" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[3]))
cpu = d["worker_cpu_user_s"] + d["worker_cpu_sys_s"]
print(f"{sys.argv[1]},{sys.argv[2]},{d['images']['total']},{float(sys.argv[4]):.2f},{d['wall_s']:.3f},"
      f"{d['images_per_s']:.3f},{cpu:.3f},{d['workers']},{d.get('ranks', 1)},{os.getloadavg()[0]:.2f}")
PY
}
for r in $(seq 1 "$REPEATS"); do
  for j in 1 2; do
    rm -rf "$OUT/o"; "$BIN" segment "$OUT/plate" -o "$OUT/o" -j $j --progress quiet > /dev/null
    row "local -j $j" "$r" "$OUT/o/segmentation_summary.json"
  done
  for n in 1 2 3 4; do
    rm -rf "$OUT/o"; mpirun --oversubscribe -n $n "$BIN" segment "$OUT/plate" -o "$OUT/o" --progress quiet > /dev/null
    row "mpirun -n $n" "$r" "$OUT/o/segmentation_summary.json"
  done
done
{
  du -sb "$OUT/plate/genotyping" "$OUT/plate/phenotyping" "$OUT/o/10X" "$OUT/o/40X"
  echo "output files: $(find "$OUT/o" -type f | wc -l)"
  /usr/bin/time -f "cached read of every input: %e s" cat "$OUT"/plate/genotyping/cycle_1/* "$OUT"/plate/phenotyping/* 2>&1 > /dev/null
} > "$OUT/sizes.txt" 2>&1
cat "$OUT/calibration.csv" "$OUT/sizes.txt"
