#!/usr/bin/env bash
# test_mpi_segment.sh — `mpirun --oversubscribe -n 3 nucseg segment`: on a synthetic plate
# (10X and 40X) and on real images, the outputs are byte-identical to a `-j 2` run on one
# machine, rank 0's summary lists every image exactly once with a per-node section that
# accounts for each, progress is kept, a failing image fails alone and sets the exit status.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
source "$(dirname "$0")/same_outputs.sh"
source "$(dirname "$0")/mpi_env.sh"

# summary_lists_each FILE N: N per-image entries, N distinct images, all accounted for by the
# nodes, and every one of the 3 ranks reported.
summary_lists_each() {
  local s=$1 n=$2
  python3 - "$s" "$n" <<'PY' || fail "$s: summary check"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
files = [e["file"] for e in d["per_image"]]
assert len(files) == n and len(set(files)) == n, (len(files), len(set(files)))
assert d["ranks"] == 3 and len(d["per_rank"]) == 3, d["ranks"]
done = sum(x["images"] + x["failed"] + x["skipped_complete"] for x in d["nodes"])
assert done == n, ("nodes account for", done, "of", n)
assert sum(x["images"] for x in d["per_rank"]) == d["succeeded"]
assert all(x["host"] and x["workers"] >= 1 for x in d["nodes"])
PY
}

# --- a synthetic plate: 8 10X tiles and 8 40X sites ---
"$BIN" synth "$T/plate" --wells 2 --tiles-10x 4 --size-10x 256 --size-40x 256 > /dev/null
"$BIN" segment "$T/plate" -o "$T/ref" -j 2 --progress quiet > /dev/null
mpirun --oversubscribe -n 3 "$BIN" segment "$T/plate" -o "$T/mpi" --progress lines > "$T/log" 2>&1 \
  || { cat "$T/log"; fail "mpirun on the synthetic plate"; }
grep -q "16 images (8 10X, 8 40X, 0 unknown magnification) -> $T/mpi, 3 ranks on 1 node" "$T/log" \
  || { cat "$T/log"; fail "rank 0's first line"; }
[ "$(grep -c '^\[[0-9]*/16\]' "$T/log")" = 16 ] || { cat "$T/log"; fail "progress: want one line per image, from rank 0 only"; }
[ "$(grep -c 'nucseg segment: 16 ok' "$T/log")" = 1 ] || fail "the closing line, once"
grep -q "16/16 images processed" "$T/mpi/segmentation_progress.txt" || fail "progress file"
same_outputs "$T/ref" "$T/mpi"
summary_lists_each "$T/mpi/segmentation_summary.json" 16
# mpirun -n 2 binds each rank to one core by default: with -j 2 a rank's workers must not all
# be pinned to it, but may use the CPUs bound to the node's ranks (per_rank "cpus").
mpirun --oversubscribe -n 2 "$BIN" segment "$T/plate" -o "$T/mpi3" -j 2 --progress quiet > "$T/log3" 2>&1 \
  || { cat "$T/log3"; fail "mpirun -n 2 -j 2 on the synthetic plate"; }
same_outputs "$T/ref" "$T/mpi3"
want=$(( $(nproc) < 2 ? $(nproc) : 2 ))
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); c = [x["cpus"] for x in d["per_rank"]]
assert len(c) == 2 and min(c) >= int(sys.argv[2]), c' "$T/mpi3/segmentation_summary.json" "$want" \
  || fail "mpirun -n 2 -j 2: a rank's workers pinned to fewer than $want CPUs"

# --- real images, one of which crashes its worker: it fails alone, on one machine as under
# mpirun, where it sets the exit status to 1; the other 14 are byte-identical ---
mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -15); do cp "$f" "$T/in/"; done
victim=$(basename "$(ls "$T"/in/*.png | sed -n 4p)" .png)
export NUCSEG_FAULT_INJECT="crash:$victim"
set +e
"$BIN" segment "$T/in" --magnification auto -o "$T/ref2" -j 2 --progress quiet > /dev/null 2>&1; rc_ref=$?
mpirun --oversubscribe -n 3 "$BIN" segment "$T/in" --magnification auto -o "$T/mpi2" --progress quiet > "$T/log2" 2>&1; rc=$?
set -e
unset NUCSEG_FAULT_INJECT
[ $rc_ref = 1 ] || fail "one image crashing, -j 2: exit $rc_ref, want 1"
[ $rc = 1 ] || { cat "$T/log2"; fail "one image crashing: mpirun exit $rc, want 1"; }
grep -q "FAILED .*$victim.png: worker crashed" "$T/log2" || { cat "$T/log2"; fail "the crash is not reported"; }
[ "$(ls "$T"/mpi2/unknown/*/*_metadata.json | wc -l)" = 14 ] || fail "the other 14 images"
grep -q '"failed":[[:space:]]*1,' "$T/mpi2/segmentation_summary.json" || fail "summary: 1 failed"
same_outputs "$T/ref2" "$T/mpi2"
summary_lists_each "$T/mpi2/segmentation_summary.json" 15

# --- nothing to do and bad input end every rank with the same status ---
set +e
mpirun --oversubscribe -n 3 "$BIN" segment "$T/nowhere" -o "$T/x" > "$T/log4" 2>&1; rc=$?
set -e
[ $rc = 3 ] || { cat "$T/log4"; fail "a missing folder under mpirun: exit $rc, want 3"; }
[ "$(grep -c 'nowhere: no such' "$T/log4")" = 1 ] || { cat "$T/log4"; fail "the error, once (rank 0)"; }
echo "PASS test_mpi_segment"
