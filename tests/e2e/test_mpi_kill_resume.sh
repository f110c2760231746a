#!/usr/bin/env bash
# test_mpi_kill_resume.sh — a rank lost mid-run (kill -9, as when a node dies): mpirun
# ends the whole job with a non-zero status, every output under its final name is
# complete, no process is left; `--resume` under a new mpirun completes the plate with
# outputs byte-identical to a -j 2 run, redoes nothing already written, and leaves no
# temporary file. Not timed: one worker is held inside a save (NUCSEG_FAULT_INJECT) so
# that the rank killed is caught with an image half-saved, whenever that happens.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
source "$(dirname "$0")/same_outputs.sh"
source "$(dirname "$0")/mpi_env.sh"
# mpirun runs in its own process group (setsid): at exit, kill the group if still running
# (mpirun_pid is cleared once it has been waited for, so a reused pid is never hit).
mpirun_pid=
on_exit '[ -z "$mpirun_pid" ] || kill -9 -- -"$mpirun_pid" 2> /dev/null'

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -14); do cp "$f" "$T/in/"; done
stuck=$(basename "$(ls "$T"/in/*.png | head -1)" .png)
"$BIN" segment "$T/in" --magnification auto -o "$T/ref" -j 2 --progress quiet > /dev/null

NUCSEG_FAULT_INJECT="hang-save:$stuck" setsid mpirun --oversubscribe -n 3 "$BIN" segment "$T/in" \
  --magnification auto -o "$T/out" --progress lines > "$T/log" 2>&1 &
mpirun_pid=$!
# Wait (at most 120 s) for the stuck image's temporary files and 3 finished images.
tmp=
for _ in $(seq 1 1200); do
  tmp=$(find "$T/out" -name ".${stuck}_*.tmp.*" 2> /dev/null | head -1 || true)
  n=$(find "$T/out" -name "*_metadata.json" 2> /dev/null | wc -l || true)
  [ -n "$tmp" ] && [ "$n" -ge 3 ] && break
  sleep 0.1
done
[ -n "$tmp" ] || { cat "$T/log"; fail "the held save left no temporary file: the test tests nothing"; }
worker=${tmp##*.tmp.}; worker=${worker%%.*}  # .NAME.tmp.PID.HOST
rank=$(awk '{print $4}' "/proc/$worker/stat") # the worker's parent: the rank that holds the image
grep -q nucseg "/proc/$rank/cmdline" || fail "process $rank (parent of worker $worker) is not a nucseg rank"
kill -9 "$rank"
set +e; wait "$mpirun_pid"; rc=$?; set -e
mpirun_pid=
[ $rc != 0 ] || fail "mpirun exited 0 after a rank was killed"
grep -q "exited on signal 9" "$T/log" || { cat "$T/log"; fail "mpirun does not say a rank was killed"; }
for _ in $(seq 1 100); do pgrep -f "segment $T/in" > /dev/null || break; sleep 0.1; done
pgrep -f "segment $T/in" > /dev/null && fail "ranks or workers outlived the aborted job"

# Every output under its final name is complete: metadata (written last) means all four.
done_before=$(ls "$T"/out/unknown/*/*_metadata.json | wc -l)
for m in "$T"/out/unknown/*/*_metadata.json; do
  s=${m%_metadata.json}
  for suf in _labels.tif _nuclei.csv _nuclei_centroids_local.npy; do
    [ -s "$s$suf" ] || fail "$(basename "$m") present without $suf"
  done
done
[ ! -e "$T/out/unknown/$stuck/${stuck}_metadata.json" ] || fail "the held image cannot have finished"
[ "$done_before" -lt 14 ] || fail "all 14 done before the kill: nothing left to resume"

mpirun --oversubscribe -n 3 "$BIN" segment "$T/in" --magnification auto -o "$T/out" --resume --progress lines \
  > "$T/log2" 2>&1 || { cat "$T/log2"; fail "--resume under a new mpirun"; }
skipped=$(grep -c '^\[.*: skipped (complete)' "$T/log2" || true)
[ "$skipped" = "$done_before" ] || { cat "$T/log2"; fail "resume skipped $skipped, want the $done_before done before"; }
same_outputs "$T/ref" "$T/out" # includes: no temporary file left
grep -q '"succeeded":[[:space:]]*'"$((14 - done_before))"',' "$T/out/segmentation_summary.json" \
  || fail "summary after resume: want $((14 - done_before)) segmented"
echo "PASS test_mpi_kill_resume ($done_before of 14 done before the kill, all 14 after --resume)"
