#!/usr/bin/env bash
# test_slurm_examples.sh — nucseg under a real single-node SLURM cluster (munged, slurmctld,
# slurmd started here by tests/e2e/slurm_cluster.sh and stopped by PID at exit): jobs
# submitted with `sbatch --wait` write outputs byte-identical to a single-machine
# `nucseg segment -j 2` of the same plate (label TIFFs, CSVs, .npy; metadata JSON aside from
# its timings and output paths), and the summary counts every image once.
# Exit 77 (CTest: skipped) only when the sandbox provably cannot run the daemons; the reason
# is printed.
set -euo pipefail
BIN=$(readlink -f "${NUCSEG_BIN:?}")
SRC=${NUCSEG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SRC/tests/e2e/slurm_cluster.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the plate and the single-machine reference ---
"$BIN" synth "$T/plate" --seed 3 --wells 2 --tiles-10x 2 --sites-per-tile 1 \
    --size-10x 256 --size-40x 512 > /dev/null || fail "synth"
n_images=$(find "$T/plate/genotyping" "$T/plate/phenotyping" -name '*.tif' | wc -l)
[ "$n_images" -eq 8 ] || fail "synth wrote $n_images images, want 8"
"$BIN" segment "$T/plate" -o "$T/ref" -j 2 --progress quiet > "$T/ref.log" 2>&1 \
    || { cat "$T/ref.log"; fail "reference run exit $?"; }

# same_outputs REF OUT: every per-image output of REF exists in OUT with the same bytes; the
# metadata JSON without its timings and with OUT's paths read as REF's.
same_outputs() {
  local ref=$1 out=$2 f rel n=0
  while IFS= read -r f; do
    rel=${f#"$ref"/}
    [ -f "$out/$rel" ] || fail "$out/$rel missing"
    case $rel in
      *_metadata.json)
        cmp -s <(sed '/"timing_ms"/,/}/d' "$f") \
               <(sed -e '/"timing_ms"/,/}/d' -e "s|$out/|$ref/|g" "$out/$rel") \
          || fail "$out/$rel differs from the reference (beyond timings)" ;;
      *) cmp -s "$f" "$out/$rel" || fail "$out/$rel differs from the reference" ;;
    esac
    n=$((n + 1))
  done < <(find "$ref" -path "$ref/10X/*" -type f -o -path "$ref/40X/*" -type f)
  [ "$n" -eq $((n_images * 4)) ] || fail "reference has $n per-image files, want $((n_images * 4))"
  # and nothing more in OUT than in REF (no stray or temporary files)
  local extra
  extra=$(cd "$out" && find 10X 40X -type f | sort | comm -13 <(cd "$ref" && find 10X 40X -type f | sort) -)
  [ -z "$extra" ] || fail "$out has files the reference lacks: $extra"
}

# summary_counts_all SUMMARY: the summary counts every image once, all succeeded.
summary_counts_all() {
  grep -Eq "\"total\":[[:space:]]*$n_images," "$1" || fail "$1: images.total is not $n_images"
  grep -Eq "\"succeeded\":[[:space:]]*$n_images," "$1" || fail "$1: succeeded is not $n_images"
  grep -Eq "\"failed\":[[:space:]]*0," "$1" || fail "$1: failed is not 0"
}

# --- the cluster ---
rc=0
slurm_cluster_start "$T/cluster" || rc=$?
[ $rc -eq 0 ] || exit $rc
mkdir -p "$T/logs"
cd "$T/logs"

# --- a plain batch job: one `nucseg segment` on the node's CPUs ---
sbatch --wait --quiet --job-name=plain --cpus-per-task=2 --output="$T/logs/plain.out" \
    --wrap "'$BIN' segment '$T/plate' -o '$T/plain' -j 2 --progress lines" \
    || { cat "$T/logs/plain.out"; fail "sbatch --wait of nucseg segment exit $?"; }
grep -q "nucseg segment: $n_images ok" "$T/logs/plain.out" || { cat "$T/logs/plain.out"; fail "job log"; }
same_outputs "$T/ref" "$T/plain"
summary_counts_all "$T/plain/segmentation_summary.json"

echo "PASS: test_slurm_examples"
