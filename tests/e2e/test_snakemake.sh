#!/usr/bin/env bash
# test_snakemake.sh — workflow/Snakefile run locally by Snakemake (snakemake -j 2 --cores 2)
# on a small synthetic plate gives what `nucseg run` gives on it: every label TIFF, nucleus
# table (tiles' and wells') and centroid .npy byte-identical, and the same mapping.csv;
# a report per well; wells found by `nucseg segment --list-wells`; a well with one
# magnification is segmented and reported, not mapped. The SLURM profile parses (dry run).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
SRC=${NUCSEG_SRC:?}
command -v snakemake > /dev/null || fail "snakemake is not installed (scripts/install-deps.sh installs it)"

"$BIN" synth "$T/plate" --wells 2 --tiles-10x 4 --size-10x 512 --size-40x 1024 > /dev/null
[ "$("$BIN" segment "$T/plate" --list-wells | tr '\n' ' ')" = "Well1 Well2 " ] || fail "--list-wells"
"$BIN" run "$T/plate" -o "$T/run" -j 2 --trials 1 > "$T/run.log" 2>&1 || { tail -20 "$T/run.log"; fail "nucseg run"; }

W=$T/wf/out
snakemake -s "$SRC/workflow/Snakefile" -d "$T/wf" -j 2 --cores 2 \
  --config nucseg="$BIN" data="$T/plate" out="$W" segment_workers=2 > "$T/sm.log" 2>&1 \
  || { tail -40 "$T/sm.log"; fail "snakemake exit"; }

n=0
for well in Well1 Well2; do
  [ -s "$W/wells/$well/report.html" ] || fail "no report for $well"
  grep -q "tiles       4 of 4 40X tiles mapped" "$W/wells/$well/summary.txt" || fail "$well summary: $(cat "$W/wells/$well/summary.txt")"
  for f in $(cd "$T/run/segmentation" && find . -path "*/$well/*" \( -name '*_labels.tif' -o -name '*.csv' -o -name '*.npy' \)); do
    cmp -s "$T/run/segmentation/$f" "$W/wells/$well/segmentation/$f" || fail "$f differs from nucseg run's"
    n=$((n + 1))
  done
done
# 2 wells x (8 images x 3 files + a 10X and a 40X well table)
[ "$n" = 52 ] || fail "compared $n files, expected 52"
cmp "$T/run/mapping/mapping.csv" "$W/mapping.csv" || fail "mapping.csv differs from nucseg run's"
[ "$(wc -l < "$W/mapping.csv")" = 9 ] || fail "mapping.csv: $(wc -l < "$W/mapping.csv") lines, want 9"

# A well with 10X images only: segmented and reported, not mapped, and the run goes on.
mkdir -p "$T/one/10X"
cp "$T/plate/genotyping/cycle_1/Well1_Tile-0.tif" "$T/plate/genotyping/cycle_1/Well1_Tile-1.tif" "$T/one/10X/"
snakemake -s "$SRC/workflow/Snakefile" -d "$T/wf1" -j 2 --cores 2 \
  --config nucseg="$BIN" data="$T/one" out="$T/wf1/out" > "$T/sm1.log" 2>&1 || { tail -40 "$T/sm1.log"; fail "snakemake, one magnification"; }
grep -q "not mapped: mapping needs both 10X and 40X" "$T/wf1/out/wells/Well1/summary.txt" || fail "one magnification: $(cat "$T/wf1/out/wells/Well1/summary.txt")"
[ -s "$T/wf1/out/wells/Well1/segmentation/10X/Well1/Well1_nuclei.csv" ] || fail "one magnification: no well table"

# The SLURM profile: a dry run plans every job through it (nothing is submitted).
snakemake -s "$SRC/workflow/Snakefile" -d "$T/wf2" --profile "$SRC/workflow/profiles/slurm" -n \
  --config nucseg="$BIN" data="$T/plate" out="$T/wf2/out" > "$T/sm2.log" 2>&1 || { tail -20 "$T/sm2.log"; fail "slurm profile dry run"; }
grep -q "segment" "$T/sm2.log" || fail "dry run planned no segment job"
echo "PASS test_snakemake"
