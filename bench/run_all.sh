#!/usr/bin/env bash
# run_all.sh BIN OUT — every speed benchmark, against the Python peers where there is one,
# then OUT/bench_summary.md: one markdown table of the key figures against their targets.
#
# Builds nothing: the bench programs are looked up next to BIN (the same build folder).
# One benchmark failing does not stop the others; it is recorded as FAILED in the summary
# and the script exits non-zero at the end. A target missed is a result, not a failure.
set -euo pipefail

if [ $# -ne 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: $0 BIN OUT   (BIN: the nucseg binary; bench programs are taken from its folder)" >&2
  exit 2
fi
BIN=$1
OUT=$2
if [ ! -x "$BIN" ]; then
  echo "run_all.sh: $BIN: not an executable (build first: make build)" >&2
  exit 2
fi
BUILD_DIR=$(cd "$(dirname "$BIN")" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Timings on a busy machine are not comparable: keep the load next to the figures.
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

declare -A status   # benchmark name -> ok | FAILED (exit N) | not built
failures=0

# run_step NAME CMD...: run, log to OUT/NAME.log (and the terminal), remember the outcome.
run_step() {
  local name=$1
  shift
  echo
  echo "== $name: $*"
  set +e
  "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -eq 0 ]; then
    status[$name]=ok
  else
    status[$name]="FAILED (exit $rc)"
    failures=$((failures + 1))
    echo "run_all.sh: $name failed with exit status $rc (log: $OUT/$name.log)" >&2
  fi
}

# Programs that must exist next to BIN; a missing one is a failure, not a skip.
require_prog() {
  if [ -x "$BUILD_DIR/$1" ]; then return 0; fi
  status[$1]="FAILED (not built: $BUILD_DIR/$1)"
  failures=$((failures + 1))
  echo "run_all.sh: $BUILD_DIR/$1 not found" >&2
  return 1
}

if require_prog bench_segment; then
  run_step bench_segment "$BUILD_DIR/bench_segment" "$OUT/segment" \
    --data "$SRC/tests/data/dsb2018-dev" --src "$SRC/bench" --repeats 5
fi
# The learned pipeline beside the classical one: accuracy on dsb2018-dev and ms per image.
if require_prog bench_learned; then
  run_step bench_learned "$BUILD_DIR/bench_learned" "$OUT/learned" --data "$SRC/tests/data/dsb2018-dev" --repeats 3
fi
# The learned nuclei network's inference (one thread) against the same network in PyTorch.
if require_prog bench_nn; then
  run_step bench_nn "$BUILD_DIR/bench_nn" "$OUT/nn" --data "$SRC/tests/data/dsb2018-dev" --repeats 7
  run_step peer_torch_nn /usr/bin/python3 "$SRC/bench/peer_torch_nn.py" "$SRC/models/nuclei.nsnn" \
    "$SRC/tests/data/dsb2018-dev" "$OUT/nn/nn_speed_torch.csv" 5
fi
if require_prog bench_pool; then
  # 15 pairs for the short batches: a burst from this host's neighbours can slow one
  # batch of 0.2 s by 40 %, and the median of 5 moved by up to 0.2x between runs.
  run_step bench_pool "$BUILD_DIR/bench_pool" "$OUT/pool" --images 16 --size 1024 --repeats 15
  run_step bench_pool_plate "$BUILD_DIR/bench_pool" "$OUT/pool_plate" --plate --repeats 15
  run_step bench_pool_64 "$BUILD_DIR/bench_pool" "$OUT/pool_64" --images 64 --size 1024 --repeats 7
  # The same 16 fields through the CLI, beside two -j 1 runs on halves at once: what the
  # host gives two independent processes in the same minutes (the pool's ceiling).
  if [ -d "$OUT/pool/pool_inputs" ]; then
    run_step pool_vs_split "$SRC/bench/pool_vs_split.sh" "$BIN" "$OUT/pool/pool_inputs" "$OUT/pool_split" 15 10
  fi
fi
if [ -x "$BUILD_DIR/bench_affine_fit" ]; then
  run_step bench_affine_fit "$BUILD_DIR/bench_affine_fit" "$OUT/affine"
else
  status[bench_affine_fit]="not built"
fi
# Python threads through the module (GIL released) against the scikit-image peer's threads.
if [ -d "$BUILD_DIR/python" ]; then
  run_step python_threads env PYTHONPATH="$BUILD_DIR/python" /usr/bin/python3 "$SRC/bench/bench_python_threads.py" \
    "$OUT/python_threads" --images 16 --size 1024 --repeats 5
fi
run_step scaling "$BIN" bench -o "$OUT/scaling" --images 24 --width 1024 --height 1024 --repeats 5
if require_prog bench_dispatch && command -v mpirun > /dev/null; then
  # Rank 0 dealing empty jobs to 3 ranks (OpenMPI wants to be told that root is meant).
  run_step bench_dispatch env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    mpirun --oversubscribe -n 4 "$BUILD_DIR/bench_dispatch" --jobs 500000 --batches 1,8,64 --out "$OUT/dispatch"
fi
# File to file, against the Python peer at -j 1 and -j 2 in the same run (bench/e2e.sh).
run_step e2e "$SRC/bench/e2e.sh" "$BIN" "$OUT/e2e"

# ---- summary ----

# csv_get FILE KEYCOL KEY... COL: the value of column COL (by header name) in the first row
# whose columns KEYCOL... equal KEY...; empty when absent. Arguments: file, then pairs, then COL.
csv_get() {
  local file=$1
  shift
  [ -f "$file" ] || return 0
  awk -F, -v spec="$*" '
    BEGIN { n = split(spec, a, " "); want = a[n] }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      ok = 1
      for (k = 1; k + 1 < n; k += 2) if ($(col[a[k]]) != a[k + 1]) ok = 0
      if (ok && (want in col)) { print $(col[want]); exit }
    }' "$file"
}

# fmt V: about 3 significant digits without exponents (1403, 9.92, 0.863), or "—" when empty.
fmt() {
  if [ -z "${1:-}" ]; then printf '—'; return; fi
  awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v; printf (a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f"), v }'
}
# verdict V OP TARGET: PASS / MISS, or FAILED when V is missing.
verdict() {
  if [ -z "${1:-}" ]; then echo "FAILED"; return; fi
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { p = (op == "le") ? (v <= t) : (v >= t); print p ? "PASS" : "MISS" }'
}
ratio() { if [ -n "${1:-}" ] && [ -n "${2:-}" ]; then printf '%s×' "$(fmt "$(awk -v a="$1" -v b="$2" 'BEGIN { print a / b }')")"; else printf '—'; fi; }

SUMMARY="$OUT/bench_summary.md"
TMP="$SUMMARY.tmp.$$"
{
  echo "# nucseg benchmark summary"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -nmr), $(nproc) CPUs online;" \
       "CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)."
  echo "Peer: scikit-image pipeline of tests/data README (bench/peer_skimage_segment.py), same files, same run."
  echo "Load average (1, 5, 15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)."
  echo "A load above the benchmarks' own (1, or 2 during the pool runs) means other processes shared the CPUs:"
  echo "timings, ratios and speedups are then pessimistic."
  echo "Ratio = peer / nucseg (how many times faster nucseg is) unless stated."
  echo
  echo "| metric | nucseg | peer | ratio | target | result |"
  echo "| --- | --- | --- | --- | --- | --- |"

  SEG="$OUT/segment/segment_speed.csv"
  ACC="$OUT/segment/segment_accuracy.csv"
  if [ "${status[bench_segment]:-}" != ok ] && [ ! -f "$SEG" ]; then
    echo "| segmentation speed (bench_segment) | ${status[bench_segment]:-FAILED} | | | | FAILED |"
  else
    n=$(csv_get "$SEG" dataset dsb2018-dev impl nucseg ms_per_256sq)
    p=$(csv_get "$SEG" dataset dsb2018-dev impl skimage ms_per_256sq)
    echo "| dsb2018-dev: ms per 256×256 (57 real images, auto diameter) | $(fmt "$n") | $(fmt "$p") | $(ratio "$p" "$n") | ≤ 1.5 ms | $(verdict "$n" le 1.5) |"
    s=$(csv_get "$SEG" dataset dsb2018-dev impl nucseg speedup_vs_skimage)
    echo "| dsb2018-dev: speedup vs scikit-image | $(fmt "$s")× | 1× | $(fmt "$s")× | ≥ 20× | $(verdict "$s" ge 20) |"
    n=$(csv_get "$SEG" dataset synth_2048 impl nucseg ms_per_image_median)
    p=$(csv_get "$SEG" dataset synth_2048 impl skimage ms_per_image_median)
    k=$(csv_get "$SEG" dataset synth_2048 impl nucseg nuclei_total)
    echo "| synthetic 2048×2048 16-bit (~2000 nuclei; nucseg found ${k:-?}): ms per image | $(fmt "$n") | $(fmt "$p") | $(ratio "$p" "$n") | ≤ 60 ms | $(verdict "$n" le 60) |"
    s=$(csv_get "$SEG" dataset synth_2048 impl nucseg speedup_vs_skimage)
    echo "| synthetic 2048×2048: speedup vs scikit-image | $(fmt "$s")× | 1× | $(fmt "$s")× | ≥ 20× | $(verdict "$s" ge 20) |"
    n=$(csv_get "$ACC" dataset dsb2018-dev impl nucseg f1_iou50_mean)
    p=$(csv_get "$ACC" dataset dsb2018-dev impl skimage f1_iou50_mean)
    echo "| dsb2018-dev: F1 at IoU 0.5, mean over images (context) | $(fmt "$n") | $(fmt "$p") | — | — | — |"
    n=$(csv_get "$ACC" dataset dsb2018-dev impl nucseg dsb_score_mean)
    p=$(csv_get "$ACC" dataset dsb2018-dev impl skimage dsb_score_mean)
    echo "| dsb2018-dev: DSB2018 score, mean over images (context) | $(fmt "$n") | $(fmt "$p") | — | — | — |"
    n=$(csv_get "$ACC" dataset synth_2048 impl nucseg f1_iou50_mean)
    p=$(csv_get "$ACC" dataset synth_2048 impl skimage f1_iou50_mean)
    echo "| synthetic 2048×2048: F1 at IoU 0.5 against the exact truth (context) | $(fmt "$n") | $(fmt "$p") | — | — | — |"
    if [ "${status[bench_segment]}" != ok ]; then
      echo "| bench_segment run | ${status[bench_segment]} (peer figures missing where shown —) | | | | FAILED |"
    fi
  fi

  LRN="$OUT/learned/learned_summary.csv"
  if [ "${status[bench_learned]:-}" = ok ] && [ -f "$LRN" ]; then
    for col in "f1_50|F1 at IoU 0.5|ge|0.92" "dsb_score|DSB2018 score|ge|0.65" "ms_256|ms per 256×256 image, one thread|le|10"; do
      IFS='|' read -r c what op t <<<"$col"
      l=$(csv_get "$LRN" pipeline learned "$c")
      k=$(csv_get "$LRN" pipeline classical "$c")
      sym=$([ "$op" = ge ] && echo "≥" || echo "≤")
      echo "| dsb2018-dev, learned pipeline (--model nuclei) vs classical (in the peer column): $what | $(fmt "$l") | $(fmt "$k") | — | $sym $t | $(verdict "$l" "$op" "$t") |"
    done
    a=$(csv_get "$LRN" pipeline learned ns_per_px_256)
    b=$(csv_get "$LRN" pipeline learned ns_per_px_2048)
    r=$(csv_get "$LRN" pipeline learned ratio_2048_to_256) # median of per-round ratios
    ok=$(awk -v r="$r" 'BEGIN { print (r >= 0.9 && r <= 1.1) ? "PASS" : "MISS" }')
    echo "| learned pipeline: ns per pixel on 2048×2048 / on 256×256 ($(fmt "$b") / $(fmt "$a"); ratio: median of rounds) | $(fmt "$r") | — | — | 0.9–1.1 | $ok |"
  elif [ -n "${status[bench_learned]:-}" ]; then
    echo "| learned vs classical (bench_learned) | ${status[bench_learned]} | | | | FAILED |"
  fi

  NN="$OUT/nn/nn_speed.csv"
  NNP="$OUT/nn/nn_speed_torch.csv"
  if [ "${status[bench_nn]:-}" = ok ] && [ -f "$NN" ]; then
    n=$(csv_get "$NN" case 256 ms_median)
    p=$(csv_get "$NNP" case 256 ms_median)
    echo "| learned nuclei network (ns_nn_predict, one thread; peer: PyTorch, one thread): ms per 256×256 | $(fmt "$n") | $(fmt "$p") | $(ratio "$p" "$n") | ≤ 10 ms | $(verdict "$n" le 10) |"
    n=$(csv_get "$NN" case 2048 ms_median)
    p=$(csv_get "$NNP" case 2048 ms_median)
    r=$(csv_get "$NN" case 2048 ratio_to_256)
    v=$(awk -v r="$r" 'BEGIN { print (r >= 0.9 && r <= 1.1) ? "PASS" : "MISS" }')
    echo "| learned nuclei network: ms per 2048×2048, and its cost per pixel over 256×256's | $(fmt "$n") ms, $(fmt "$r")× | $(fmt "$p") ms | $(ratio "$p" "$n") | 1 ± 0.1× per pixel | $v |"
  else
    echo "| learned nuclei network (bench_nn) | ${status[bench_nn]:-FAILED} | | | ≤ 10 ms | FAILED |"
  fi

  for run in "bench_pool|pool|16 × 1024² fields" "bench_pool_plate|pool_plate|the default plate, 8 × 1024² 10X + 8 × 2048² 40X" \
             "bench_pool_64|pool_64|64 × 1024² fields"; do
    IFS='|' read -r step dir what <<<"$run"
    POOL="$OUT/$dir/pool_speedup.csv"
    if [ "${status[$step]:-}" = ok ] && [ -f "$POOL" ]; then
      w1=$(csv_get "$POOL" workers 1 wall_s)
      w2=$(csv_get "$POOL" workers 2 wall_s)
      s=$(csv_get "$POOL" workers 2 speedup)
      # The spread of the single pairs, as bench_pool counted it, beside the medians' ratio.
      np=$(csv_get "$POOL" workers 2 pairs)
      pairs=""
      if [ -n "$np" ]; then
        pairs="$(csv_get "$POOL" workers 2 pairs_at_target) of $np pairs ≥ 1.8×, single pairs"
        pairs="$pairs $(fmt "$(csv_get "$POOL" workers 2 pair_speedup_min)")–$(fmt "$(csv_get "$POOL" workers 2 pair_speedup_max)")×"
      fi
      echo "| worker pool: $what, wall s at 1 → 2 workers (speedup of the medians; ${pairs:-pairs not recorded}) | $(fmt "$w1") → $(fmt "$w2") s | — | $(fmt "$s")× | ≥ 1.8× | $(verdict "$s" ge 1.8) |"
    else
      echo "| worker pool ($step) | ${status[$step]:-FAILED} | | | ≥ 1.8× | FAILED |"
    fi
  done

  SPLIT="$OUT/pool_split/pool_vs_split_medians.csv"
  if [ "${status[pool_vs_split]:-}" = ok ] && [ -f "$SPLIT" ]; then
    j1=$(csv_get "$SPLIT" j1_s)
    j2=$(csv_get "$SPLIT" j2_s)
    sp=$(csv_get "$SPLIT" split_s)
    q=$(csv_get "$SPLIT" j2_over_split)
    echo "| the same 16 fields through \`nucseg segment\`: -j 1 → -j 2 (speedup); two -j 1 on halves at once, what two independent processes get (context) | $(fmt "${j1:-}") → $(fmt "${j2:-}") s ($(ratio "${j1:-}" "${j2:-}")) | — | halves: $(ratio "${j1:-}" "${sp:-}"); per round, -j 2 took $(fmt "${q:-}")× the halves' time | — | — |"
  elif [ -n "${status[pool_vs_split]:-}" ]; then
    echo "| pool vs split by hand (pool_vs_split) | ${status[pool_vs_split]} | | | | FAILED |"
  fi

  DISP="$OUT/dispatch/dispatch.csv"
  if [ "${status[bench_dispatch]:-}" = ok ] && [ -f "$DISP" ]; then
    d64=$(csv_get "$DISP" batch 64 jobs_per_s)
    d1=$(csv_get "$DISP" batch 1 jobs_per_s)
    echo "| MPI dispatch: empty jobs/s handed out by rank 0 to 3 ranks, 64 a request (1 a request: $(fmt "$d1")) | $(fmt "$d64") | — | — | ≥ 50000 | $(verdict "$d64" ge 50000) |"
  elif [ -n "${status[bench_dispatch]:-}" ]; then
    echo "| MPI dispatch (bench_dispatch) | ${status[bench_dispatch]} | | | ≥ 50000 | FAILED |"
  fi

  SCAL="$OUT/scaling/segmentation_benchmark.csv"
  if [ "${status[scaling]}" = ok ] && [ -f "$SCAL" ]; then
    seq=$(csv_get "$SCAL" sweep workers mode sequential images_per_s_median)
    s2=$(csv_get "$SCAL" sweep workers mode pool workers 2 speedup_vs_1_worker)
    best=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                    $c["sweep"] == "workers" && $c["mode"] == "pool" && $c["images_per_s_median"] > b {
                      b = $c["images_per_s_median"]; w = $c["workers"]; s = $c["speedup_vs_sequential"] }
                    END { if (w) print w, b, s }' "$SCAL")
    read -r bw bips bs <<<"${best:-}" || true
    echo "| nucseg bench (24 × 1024²): images/s, sequential → best pool, ${bw:-?} worker(s) | $(fmt "$seq") → $(fmt "${bips:-}") | — | $(fmt "${bs:-}")× vs sequential | — | — |"
    echo "| nucseg bench: 2 workers vs 1 worker | $(fmt "$s2")× | — | — | ≥ 1.8× | $(verdict "$s2" ge 1.8) |"
  else
    echo "| nucseg bench (scaling) | ${status[scaling]:-FAILED} | | | | FAILED |"
  fi

  AFF="$OUT/affine/affine_fit.csv"
  if [ "${status[bench_affine_fit]}" != "not built" ] && [ -f "$AFF" ]; then
    # One row per nucseg method, beside the peer's row for the same method (µs per fit).
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
             { m = $c["method"]; if ($c["impl"] == "nucseg") { n[m] = $c["us_per_fit"]; p_[m] = $c["pairs"]; order[++k] = m }
               else peer[m] = $c["us_per_fit"] }
             END { for (j = 1; j <= k; j++) { m = order[j]
                     printf "| affine fit %s (%s pairs): µs per fit | %.4g | %s | %s | — | — |\n", m, p_[m], n[m],
                            (m in peer) ? sprintf("%.4g", peer[m]) : "—",
                            (m in peer && n[m] > 0) ? sprintf("%.3g×", peer[m] / n[m]) : "—" } }' "$AFF"
  fi
  case "${status[bench_affine_fit]}" in
    ok) ;;
    "not built") echo "| affine fit (bench_affine_fit) | not built in $BUILD_DIR: skipped | | | | — |" ;;
    *) echo "| affine fit (bench_affine_fit) | ${status[bench_affine_fit]} | | | | FAILED |" ;;
  esac

  E2E="$OUT/e2e/e2e.csv"
  if [ "${status[e2e]:-}" = ok ] && [ -f "$E2E" ]; then
    for ds in dsb2018 plate; do
      for j in 1 2; do
        nw=$(csv_get "$E2E" dataset $ds tool nucseg j $j wall_s)
        pw=$(csv_get "$E2E" dataset $ds tool peer j $j wall_s)
        [ -n "$nw" ] || continue
        r=$(awk -v a="$pw" -v b="$nw" 'BEGIN { print a / b }')
        echo "| file to file, $ds ($(csv_get "$E2E" dataset $ds tool nucseg j $j images) images), -j $j: wall s (e2e/e2e.md has CPU s too) | $(fmt "$nw") | $(fmt "$pw") | $(fmt "$r")× | ≥ 20× | $(verdict "$r" ge 20) |"
      done
    done
  else
    echo "| file to file (e2e) | ${status[e2e]:-FAILED} | | | ≥ 20× | FAILED |"
  fi

  echo
  echo "Details: e2e/e2e.md (file to file), segment/segment_speed.csv (and per-image times), pool/pool_speedup.csv and pool_pairs.csv, pool_split/,"
  echo "scaling/report.html, affine/, and one log per benchmark (*.log) in this folder."
} >"$TMP"
mv -f "$TMP" "$SUMMARY"

echo
cat "$SUMMARY"
echo
echo "wrote $SUMMARY"
if [ "$failures" -ne 0 ]; then
  echo "run_all.sh: $failures benchmark(s) failed" >&2
  exit 1
fi
