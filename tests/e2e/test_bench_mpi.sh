#!/usr/bin/env bash
# test_bench_mpi.sh — `mpirun --oversubscribe -n 2 nucseg bench`: the scaling benchmark over
# ranks x workers. Exits 0; the CSV has the ranks and total_workers columns and one worker-sweep
# row per (ranks, workers) measured (1 and 2 ranks), with positive times and throughputs and
# efficiencies that follow from its own wall times; the JSON, the recommendation (naming
# ranks x workers), every plot (the rank plots too) and the page exist; no scratch is left.
# Tiny on purpose (4 fields of 256x256, one repeat): it checks the plumbing, not the speed.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mpi_env.sh"
: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"
scratch_dir

rc=0
mpirun --oversubscribe -n 2 "$NUCSEG_BIN" bench -o "$T/b" --images 4 --width 256 --height 256 --repeats 1 \
    --max-workers 1 --sizes none > "$T/log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/log"; fail "nucseg bench under mpirun -n 2: exit $rc"; }

for f in segmentation_benchmark.csv segmentation_benchmark_summary.json recommendation.txt report.html \
         throughput_vs_ranks.png efficiency_vs_ranks.svg speedup_vs_workers.png; do
    [ -s "$T/b/$f" ] || fail "$f missing or empty"
done
[ ! -e "$T/b/scratch" ] || fail "scratch outputs left behind"
[ "$(grep -c '^Recommendation: ' "$T/log")" = 1 ] || fail "the report printed once (rank 0), not per rank"
grep -q '^Recommendation over ranks: [12] ranks\? x 1 worker' "$T/b/recommendation.txt" \
    || fail "recommendation.txt names no ranks x workers"
grep -q '^  2 ranks: best 1 worker per rank (2 in all), [0-9.e+]* images/s' "$T/b/recommendation.txt" \
    || fail "recommendation.txt: no line for 2 ranks"

python3 - "$T/b" <<'PY' || fail "CSV / JSON check"
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/segmentation_benchmark.csv")))
pool = {(int(r["ranks"]), int(r["workers"])): r for r in rows if r["sweep"] == "workers" and r["mode"] == "pool"}
assert sorted(pool) == [(1, 1), (2, 1)], sorted(pool)
one = float(pool[(1, 1)]["wall_s_median"])
for (k, w), r in pool.items():
    t = float(r["wall_s_median"])
    assert int(r["total_workers"]) == k * w, r
    assert t > 0 and float(r["images_per_s_median"]) > 0, r
    assert abs(float(r["images_per_s_median"]) - 4 / t) <= 1e-4 * 4 / t, r
    s1 = one / t
    assert abs(float(r["speedup_vs_1_worker"]) - s1) <= 1e-4 * s1, (r, s1)
    assert abs(float(r["efficiency_vs_1_worker"]) - s1 / (k * w)) <= 1e-4 * s1, r
    assert int(r["failed"]) == 0 and int(r["nuclei"]) > 0, r
seq = [r for r in rows if r["mode"] == "sequential"]
assert len(seq) == 1 and seq[0]["ranks"] == "1", seq
j = json.load(open(d + "/segmentation_benchmark_summary.json"))
assert j["ranks"]["size"] == 2, j["ranks"]
rec = j["ranks"]["recommendation"]
assert (rec["ranks"], rec["workers_per_rank"]) in pool and rec["images_per_s"] > 0, rec
assert {(c["ranks"], c["workers"]) for c in j["configurations"] if c["mode"] == "pool"} == set(pool)
PY
echo "PASS test_bench_mpi"
