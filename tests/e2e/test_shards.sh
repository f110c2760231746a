#!/usr/bin/env bash
# test_shards.sh — `--shard K/N`: four shards started at once into one OUT leave the same
# outputs as one run with -j 2, each shard writes its own summary, `nucseg summary` merges
# them (every image exactly once) and says what is not done while shards are missing.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
source "$(dirname "$0")/same_outputs.sh"

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -14); do cp "$f" "$T/in/"; done
"$BIN" segment "$T/in" --magnification auto -o "$T/ref" -j 2 --progress quiet > /dev/null

# Shards 1 and 3 first: the merge says which shards and how many images are missing.
for k in 1 3; do
  "$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 1 --shard $k/4 --progress quiet > "$T/log$k" 2>&1 \
    || { cat "$T/log$k"; fail "shard $k/4"; }
done
set +e; "$BIN" summary "$T/out" > "$T/sum1" 2>&1; rc=$?; set -e
[ $rc = 1 ] || { cat "$T/sum1"; fail "summary with 2 of 4 shards: exit $rc, want 1"; }
grep -q "2 of 4 shards done" "$T/sum1" || { cat "$T/sum1"; fail "summary does not say 2 of 4 shards"; }
listed=$(sed -n 's/.* \([0-9]*\) of 14 images:.*/\1/p' "$T/sum1")
grep -q "$((14 - listed)) not done yet" "$T/sum1" || { cat "$T/sum1"; fail "images not done"; }
[ "$listed" -gt 0 ] && [ "$listed" -lt 14 ] || fail "two shards listed $listed of 14 images"

# All four at once into a fresh OUT (real concurrency: started together, run together).
pids=()
for k in 1 2 3 4; do
  "$BIN" segment "$T/in" --magnification auto -o "$T/all" -j 1 --shard $k/4 --progress quiet > "$T/all$k" 2>&1 &
  pids+=($!)
done
on_exit "kill ${pids[*]} 2>/dev/null"
for i in 0 1 2 3; do wait "${pids[$i]}" || { cat "$T/all$((i + 1))"; fail "shard $((i + 1))/4 of the concurrent run"; }; done
for k in 1 2 3 4; do [ -s "$T/all/segmentation_summary.shard-$k-of-4.json" ] || fail "no summary of shard $k"; done
"$BIN" summary "$T/all" > "$T/sum2" 2>&1 || { cat "$T/sum2"; fail "summary of 4 complete shards"; }
grep -q "4 of 4 shards done; 14 of 14 images: 14 ok" "$T/sum2" || { cat "$T/sum2"; fail "merged counts"; }
same_outputs "$T/ref" "$T/all"
# Every image exactly once in the merged summary, and each shard got some.
n=$(grep -c '"file":' "$T/all/segmentation_summary.json")
u=$(grep '"file":' "$T/all/segmentation_summary.json" | sort -u | wc -l)
[ "$n" = 14 ] && [ "$u" = 14 ] || fail "merged summary lists $n entries, $u distinct images; want 14"
for k in 1 2 3 4; do grep -q "shard $k of 4: [1-9]" "$T/all$k" || fail "shard $k had nothing"; done

# The split does not depend on the run: the same K/N picks the same images.
"$BIN" segment "$T/in" --magnification auto -o "$T/again" -j 1 --shard 2/4 --progress quiet > /dev/null
diff <(grep '"file":' "$T/all/segmentation_summary.shard-2-of-4.json") \
     <(grep '"file":' "$T/again/segmentation_summary.shard-2-of-4.json") > /dev/null || fail "shard 2/4 not deterministic"

# A SLURM job array task: --shard slurm reads the array's variables.
SLURM_ARRAY_TASK_ID=12 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_MAX=13 SLURM_ARRAY_TASK_COUNT=4 \
  "$BIN" segment "$T/in" --magnification auto -o "$T/arr" -j 1 --shard slurm --progress quiet > "$T/arr.log" 2>&1 \
  || { cat "$T/arr.log"; fail "--shard slurm"; }
[ -s "$T/arr/segmentation_summary.shard-3-of-4.json" ] || fail "--shard slurm: task 12 of 10-13 is shard 3/4"
cmp -s <(grep '"file":' "$T/all/segmentation_summary.shard-3-of-4.json") \
       <(grep '"file":' "$T/arr/segmentation_summary.shard-3-of-4.json") || fail "--shard slurm picked other images"
set +e
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_COUNT=3 \
  "$BIN" segment "$T/in" -o "$T/x" --shard slurm > /dev/null 2> "$T/e1"; rc=$?
[ $rc = 2 ] && grep -q "not one unbroken range" "$T/e1" || fail "array 1-9 with 3 tasks: exit $rc, $(cat "$T/e1")"
"$BIN" segment "$T/in" -o "$T/x" --shard slurm > /dev/null 2> "$T/e2"; rc=$?
[ $rc = 2 ] && grep -q "not a SLURM job array task" "$T/e2" || fail "--shard slurm outside an array: exit $rc"
for bad in 0/4 5/4 3 a/b 1/0 -1/2 "1/2/3"; do
  "$BIN" segment "$T/in" -o "$T/x" --shard "$bad" > /dev/null 2> "$T/e3"; rc=$?
  [ $rc = 2 ] && grep -q -- "--shard wants K/N" "$T/e3" || fail "--shard $bad: exit $rc, $(cat "$T/e3")"
done
"$BIN" summary "$T/in" > /dev/null 2> "$T/e4"; rc=$?
[ $rc = 3 ] && grep -q "no shard summaries" "$T/e4" || fail "summary of a folder without shards: exit $rc"
set -e
[ ! -e "$T/x" ] || fail "a refused run made its output folder"
echo "PASS test_shards"
