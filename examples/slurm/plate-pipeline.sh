#!/bin/bash
# plate-pipeline.sh — submit one plate's whole pipeline to SLURM as three jobs chained with
# dependencies, and return at once (or, with --wait, when the last job ends):
#
#   segment  a job array (segment-array.sbatch), or one MPI job (segment-mpi.sbatch) with --mpi
#     -> map      (map.sbatch: 40X tiles into 10X tiles)          after the segment job succeeds
#       -> report (report.sbatch: merged summary, OUT/report.txt, OUT/report.html) after the map job succeeds
#
#   examples/slurm/plate-pipeline.sh [options] DATA OUT
#     --array RANGE       array task ids of the segment job (default 1-4: 4 shards)
#     --mpi NODES         segment with one MPI job on NODES nodes, one rank each, not an array
#     --cpus-per-task C   CPUs of each segment task or rank (default: the script's #SBATCH)
#     --wait              wait for the report job; exit with its status
#
# Outputs: OUT/segmentation (per-image files, segmentation_summary.json), OUT/mapping,
# OUT/report.txt; each job's log in the folder you submit from. If DATA/truth.json exists (a
# plate from nucseg synth), the maps are scored against it.
#
# Partition, account and time limits: set them for every job at once with sbatch's own
# variables, e.g. SBATCH_PARTITION=compute SBATCH_ACCOUNT=lab SBATCH_TIMELIMIT=02:00:00.
# A job that fails cancels those after it (--kill-on-invalid-dep=yes) instead of leaving
# them pending forever. Fix the cause and run the same command again: with --mpi,
# segmentation resumes (--resume: only what is missing is redone); an array segments its
# shards again (to redo only a lost shard, see segment-array.sbatch, then submit map.sbatch
# and report.sbatch).
set -euo pipefail
usage() { echo "usage: $0 [--array RANGE | --mpi NODES] [--cpus-per-task C] [--wait] DATA OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
array=1-4 mpi="" cpus=() wait=()
while [ $# -gt 0 ]; do
  case $1 in
    --array) [ $# -ge 2 ] || usage; array=$2; shift 2 ;;
    --mpi) [ $# -ge 2 ] || usage; mpi=$2; shift 2 ;;
    --cpus-per-task) [ $# -ge 2 ] || usage; cpus=(--cpus-per-task="$2"); shift 2 ;;
    --wait) wait=(--wait); shift ;;
    -h|--help) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
# The jobs may start on other nodes and in another folder: hand them absolute paths.
DATA=$(cd "$1" && pwd) || { echo "$0: $1: no such folder" >&2; exit 2; }
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
truth=()
[ -f "$DATA/truth.json" ] && truth=(--truth "$DATA/truth.json")

if [ -n "$mpi" ]; then
  seg=$(sbatch --parsable --nodes="$mpi" --ntasks="$mpi" "${cpus[@]}" "$here/segment-mpi.sbatch" "$DATA" "$OUT/segmentation")
else
  seg=$(sbatch --parsable --array="$array" "${cpus[@]}" "$here/segment-array.sbatch" "$DATA" "$OUT/segmentation")
fi
seg=${seg%%;*}   # --parsable prints "jobid[;cluster]"
map=$(sbatch --parsable --dependency=afterok:"$seg" --kill-on-invalid-dep=yes \
      "$here/map.sbatch" "$OUT/segmentation" "$OUT/mapping" "${truth[@]}")
map=${map%%;*}
after=(--dependency=afterok:"$map" --kill-on-invalid-dep=yes "$here/report.sbatch" "$OUT")
if [ ${#wait[@]} -eq 0 ]; then
  report=$(sbatch --parsable "${after[@]}")
  echo "plate-pipeline: segment job $seg -> map job $map -> report job ${report%%;*}"
  exit 0
fi
echo "plate-pipeline: segment job $seg -> map job $map -> report job (waiting for it)"
rc=0
report=$(sbatch --wait --parsable "${after[@]}") || rc=$?
report=${report%%;*}
# sbatch --wait exits 0 for a job cancelled before it ran (a failed job before it): ask
# the controller how each job ended (it remembers them for MinJobAge, 300 s by default).
state_of() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | paste -sd, -; }
for j in "$seg" "$map" "$report"; do
  s=$(state_of "$j")
  echo "plate-pipeline: job $j: ${s:-(no longer known to the controller)}"
  if [ -n "$s" ] && [ "$s" != COMPLETED ] && [ "$rc" -eq 0 ]; then rc=1; fi
done
exit "$rc"
