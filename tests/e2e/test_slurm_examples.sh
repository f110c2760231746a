#!/usr/bin/env bash
# test_slurm_examples.sh — nucseg under a real single-node SLURM cluster (munged, slurmctld,
# slurmd started here by tests/e2e/slurm_cluster.sh and stopped by PID at exit): jobs
# submitted with `sbatch --wait` write outputs byte-identical to a single-machine
# `nucseg segment -j 2` of the same plate (label TIFFs, CSVs, .npy; metadata JSON aside from
# its timings and output paths), and the summary counts every image once.
# Exit 77 (CTest: skipped) only when the sandbox provably cannot run the daemons; the reason
# is printed.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=$(readlink -f "${NUCSEG_BIN:?}")
SRC=${NUCSEG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SRC/tests/e2e/slurm_cluster.sh"
source "$SRC/tests/e2e/same_outputs.sh"
source "$SRC/tests/e2e/mpi_env.sh"   # OpenMPI as root; sbatch passes the environment on
EX=$SRC/examples/slurm

# --- the plate and the single-machine reference ---
"$BIN" synth "$T/plate" --seed 3 --wells 2 --tiles-10x 2 --sites-per-tile 1 \
    --size-10x 256 --size-40x 512 > /dev/null || fail "synth"
n_images=$(find "$T/plate/genotyping" "$T/plate/phenotyping" -name '*.tif' | wc -l)
[ "$n_images" -eq 8 ] || fail "synth wrote $n_images images, want 8"
"$BIN" segment "$T/plate" -o "$T/ref" -j 2 --progress quiet > "$T/ref.log" 2>&1 \
    || { cat "$T/ref.log"; fail "reference run exit $?"; }
"$BIN" map "$T/ref" -o "$T/refmap" --truth "$T/plate/truth.json" > "$T/refmap.log" 2>&1 \
    || { cat "$T/refmap.log"; fail "reference map exit $?"; }

# summary_counts_all SUMMARY: the summary counts every image once, all succeeded.
summary_counts_all() {
  grep -Eq "\"(total|inputs_total)\":[[:space:]]*$n_images," "$1" || fail "$1: the total of images is not $n_images"
  grep -Eq "\"succeeded\":[[:space:]]*$n_images," "$1" || fail "$1: succeeded is not $n_images"
  grep -Eq "\"failed\":[[:space:]]*0," "$1" || fail "$1: failed is not 0"
}
# lists_each_image_once SUMMARY: a merged summary names every input exactly once.
lists_each_image_once() {
  local n u
  n=$(grep -c '"file":' "$1")
  u=$(grep '"file":' "$1" | sort -u | wc -l)
  [ "$n" -eq "$n_images" ] && [ "$u" -eq "$n_images" ] || fail "$1 lists $n entries, $u distinct images; want $n_images"
}

# --- the cluster ---
rc=0
slurm_cluster_start "$T/cluster" || rc=$?
[ $rc -eq 0 ] || exit $rc
mkdir -p "$T/logs"
cd "$T/logs"

export NUCSEG=$BIN   # the examples run $NUCSEG (default: nucseg on PATH); sbatch passes it on

# Every submission below is a chain of `sbatch --wait` calls run in the background, so the
# chains share the node and the test waits for the longest one, not their sum.
chain_pids=() chain_names=() t_submit=$SECONDS
chain() { # NAME CMD...: run CMD in the background, its output in logs/NAME.chain
  local name=$1; shift
  "$@" > "$T/logs/$name.chain" 2>&1 &
  chain_pids+=("$!") chain_names+=("$name")
}

# --- a plain batch job: one `nucseg segment` on the node's CPUs ---
plain() {
  sbatch --wait --quiet --job-name=plain --cpus-per-task=2 --output="$T/logs/plain.out" \
      --wrap "'$BIN' segment '$T/plate' -o '$T/plain' -j 2 --progress lines"
}
chain plain plain

# --- segment-array.sbatch: 3 shards as a job array, then summary.sbatch after it; then
# shard 2 loses some of its images (as with a node lost mid-task) and is run again alone
# with SHARDS=3 and --resume ---
array() {
  sbatch --wait --array=1-3 --cpus-per-task=1 --output="$T/logs/array-%a.out" \
      "$EX/segment-array.sbatch" "$T/plate" "$T/array"
  sbatch --wait --output="$T/logs/array-summary.out" "$EX/summary.sbatch" "$T/array"
  # the array and its summary: three shards, merged into one listing every image once
  for k in 1 2 3; do
    [ -s "$T/array/segmentation_summary.shard-$k-of-3.json" ] || fail "array task $k wrote no shard $k/3 summary"
    grep -q "shard $k of 3: [1-9]" "$T/logs/array-$k.out" || fail "array task $k segmented nothing"
  done
  grep -q "3 of 3 shards done; $n_images of $n_images images: $n_images ok" "$T/logs/array-summary.out" \
    || { cat "$T/logs/array-summary.out"; fail "summary.sbatch after the array"; }
  same_outputs "$T/ref" "$T/array"
  summary_counts_all "$T/array/segmentation_summary.json"
  lists_each_image_once "$T/array/segmentation_summary.json"
  grep -c '"file":' "$T/array/segmentation_summary.shard-2-of-3.json" > "$T/logs/array-shard2-images"
  lose_some_of_shard 2 3 "$T/array"
  sbatch --wait --array=2%1 --export=ALL,SHARDS=3 --cpus-per-task=1 --output="$T/logs/array-rerun.out" \
      "$EX/segment-array.sbatch" "$T/plate" "$T/array" --resume
}
# lose_some_of_shard K N OUT: remove all outputs but the first image's of shard K/N, and
# its summary, and leave a dead process's temporary file behind.
lose_some_of_shard() {
  local sum=$3/segmentation_summary.shard-$1-of-$2.json src m first=1
  while IFS= read -r src; do
    m=$(grep -l "\"source\":[[:space:]]*\"$src\"" "$3"/*/*/*_metadata.json)
    [ -n "$m" ] || return 1
    if [ $first = 1 ]; then first=0; continue; fi
    rm -f "${m%_metadata.json}"_*
    lost_last=$m
  done < <(sed -n 's/.*"file":[[:space:]]*"\(.*\)".*/\1/p' "$sum")
  local dead
  dead=$(sh -c 'echo $$')
  echo half > "$(dirname "$lost_last")/.$(basename "${lost_last%_metadata.json}")_labels.tif.tmp.$dead"
  rm -f "$sum" "$3/segmentation_summary.json"
}
chain array array

# --- plate-pipeline.sh: segment (array of 2) -> map -> report, chained with afterok ---
chain pipeline "$EX/plate-pipeline.sh" --array 1-2 --cpus-per-task 1 --wait "$T/plate" "$T/pipe"

# --- segment-mpi.sbatch: 3 ranks started by srun --mpi=pmix (overcommitted: 2 CPUs) ---
chain mpi-srun sbatch --wait --nodes=1 --ntasks=3 --overcommit --cpus-per-task=1 \
    --output="$T/logs/mpi-srun.out" "$EX/segment-mpi.sbatch" "$T/plate" "$T/mpi-srun"

# --- segment-mpi.sbatch with OpenMPI's mpirun inside the allocation: 2 ranks ---
chain mpi-mpirun sbatch --wait --export=ALL,NUCSEG_MPI_LAUNCHER=mpirun --nodes=1 --ntasks=2 \
    --cpus-per-task=1 --output="$T/logs/mpi-mpirun.out" "$EX/segment-mpi.sbatch" "$T/plate" "$T/mpi-mpirun"

# --- segment-mpi.sbatch losing a rank (kill -9, as when its node dies) while one of its
# workers is held inside a save (NUCSEG_FAULT_INJECT), so an image is half-written whenever
# the kill comes: the job fails (ends, not hangs); the same script
# submitted again (--resume) skips exactly the images done before and completes the plate ---
mpi_lost_rank() {
  local stuck=Well1_Tile-0 jid tmp="" n worker rank state done_before skipped
  # (--time: a job that would hang after the kill ends as TIMEOUT, which fails the test)
  jid=$(NUCSEG_FAULT_INJECT="hang-save:$stuck" sbatch --parsable --time=2 --nodes=1 --ntasks=2 --overcommit \
        --cpus-per-task=1 --output="$T/logs/mpi-lost.out" "$EX/segment-mpi.sbatch" "$T/plate" "$T/mpi-lost")
  for _ in $(seq 1 1200); do # at most 120 s: the held image's temporary file and 3 images done
    tmp=$(find "$T/mpi-lost" -name ".${stuck}_*.tmp.*" 2> /dev/null | head -1 || true)
    n=$(find "$T/mpi-lost" -name "*_metadata.json" 2> /dev/null | wc -l || true)
    [ -n "$tmp" ] && [ "$n" -ge 3 ] && break
    sleep 0.1
  done
  [ -n "$tmp" ] || fail "the held save left no temporary file: nothing to test"
  worker=${tmp##*.tmp.}; worker=${worker%%.*}  # .NAME.tmp.PID.HOST
  rank=$(awk '{print $4}' "/proc/$worker/stat")
  grep -q nucseg "/proc/$rank/cmdline" || fail "process $rank (parent of worker $worker) is not a nucseg rank"
  kill -9 "$rank"
  # wait for the job's end with a job that starts after it, whatever its outcome
  sbatch --wait --quiet --dependency=afterany:"$jid" --output=/dev/null --wrap true
  state=$(scontrol show job "$jid" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  [ "$state" = FAILED ] || fail "job $jid ended $state after one of its ranks was killed, want FAILED"
  done_before=$(find "$T/mpi-lost" -name "*_metadata.json" | wc -l)
  [ "$done_before" -lt "$n_images" ] || fail "all done before the kill: nothing left to resume"
  sbatch --wait --nodes=1 --ntasks=2 --overcommit --cpus-per-task=1 --output="$T/logs/mpi-lost-resume.out" \
      "$EX/segment-mpi.sbatch" "$T/plate" "$T/mpi-lost"
  skipped=$(grep -c '^\[.*: skipped (complete)' "$T/logs/mpi-lost-resume.out" || true)
  [ "$skipped" = "$done_before" ] || fail "the resubmitted job skipped $skipped images, want the $done_before done before"
}
chain mpi-lost mpi_lost_rank

# --- the pipeline (segmenting with MPI this time) over a plate with a broken image: segment fails, so map and report
# are cancelled (not left pending forever) and --wait reports the failure ---
cp -r "$T/plate" "$T/broken"
[ -f "$T/broken/phenotyping/Well1_Site-0.tif" ] || fail "synth wrote no Well1_Site-0.tif"
printf 'not a TIFF' > "$T/broken/phenotyping/Well1_Site-0.tif"
chain broken "$EX/plate-pipeline.sh" --mpi 1 --cpus-per-task 1 --wait "$T/broken" "$T/broken-out"

failed=()
for i in "${!chain_pids[@]}"; do
  rc=0; wait "${chain_pids[$i]}" || rc=$?
  echo "${chain_names[$i]}: exit $rc after $((SECONDS - t_submit)) s" | tee -a "$T/logs/status"
  if [ "${chain_names[$i]}" = broken ]; then
    [ $rc -ne 0 ] || failed+=("broken (the pipeline over a broken image exited 0)")
  elif [ $rc -ne 0 ]; then
    failed+=("${chain_names[$i]} (exit $rc)")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  for f in "$T"/logs/*; do echo "== $f"; cat "$f"; done
  fail "jobs failed: ${failed[*]}"
fi

# plain
grep -q "nucseg segment: $n_images ok" "$T/logs/plain.out" || { cat "$T/logs/plain.out"; fail "plain job log"; }
same_outputs "$T/ref" "$T/plain"
summary_counts_all "$T/plain/segmentation_summary.json"

# array: shard 2 run again: its first image skipped, the others redone, all as before
in2=$(cat "$T/logs/array-shard2-images")
grep -q "shard 2 of 3: $in2 of the $n_images inputs" "$T/logs/array-rerun.out" || { cat "$T/logs/array-rerun.out"; fail "rerun of shard 2"; }
grep -q "$((in2 - 1)) ok, 1 skipped (complete), 0 failed" "$T/logs/array-rerun.out" \
  || { cat "$T/logs/array-rerun.out"; fail "rerun of shard 2 did not redo just what was lost"; }
"$BIN" summary "$T/array" > "$T/logs/array-summary2.out" || { cat "$T/logs/array-summary2.out"; fail "summary after the rerun"; }
same_outputs "$T/ref" "$T/array"
lists_each_image_once "$T/array/segmentation_summary.json"

# MPI, both launchers: one summary from rank 0 listing each image once, one rank per task
for l in srun:3 mpirun:2; do
  name=mpi-${l%:*} ranks=${l#*:}
  grep -q "$n_images images (.*) -> $T/$name, $ranks ranks on 1 node" "$T/logs/$name.out" \
    || { cat "$T/logs/$name.out"; fail "$name: rank 0's first line"; }
  same_outputs "$T/ref" "$T/$name"
  summary_counts_all "$T/$name/segmentation_summary.json"
  lists_each_image_once "$T/$name/segmentation_summary.json"
  [ ! -e "$T/$name/segmentation_summary.shard-1-of-1.json" ] || fail "$name: ran as a shard, not as ranks"
done

# MPI, a rank lost then the job resubmitted: the plate as if nothing had happened
same_outputs "$T/ref" "$T/mpi-lost"   # includes: no temporary file left
lists_each_image_once "$T/mpi-lost/segmentation_summary.json"

# pipeline: segmentation as the reference, the same maps, and the report of both
same_outputs "$T/ref" "$T/pipe/segmentation"
lists_each_image_once "$T/pipe/segmentation/segmentation_summary.json"
for f in mapping.csv matches.csv; do
  cmp -s "$T/refmap/$f" "$T/pipe/mapping/$f" || fail "pipeline's mapping/$f differs from a local nucseg map"
done
grep -q "2 of 2 shards done; $n_images of $n_images images: $n_images ok" "$T/pipe/report.txt" \
  || { cat "$T/pipe/report.txt"; fail "report.txt: merged summary"; }
grep -q "tiles_correct: 4" "$T/pipe/report.txt" || { cat "$T/pipe/report.txt"; fail "report.txt: mapping"; }
[ -s "$T/pipe/report.html" ] || fail "report.sbatch wrote no report.html"

# broken: the segment job failed on the one image, map and report never ran
grep -q "not a TIFF or PNG file" "$T"/logs/nucseg-mpi-*.out || fail "the segment job did not report the broken image"
grep -Eq "job [0-9]+: (CANCELLED|FAILED)" "$T/logs/broken.chain" || { cat "$T/logs/broken.chain"; fail "the pipeline did not say which jobs did not complete"; }
[ ! -e "$T/broken-out/mapping" ] || fail "map ran after a failed segment job"
[ ! -e "$T/broken-out/report.txt" ] || fail "report ran after a failed segment job"

echo "PASS: test_slurm_examples"
