#!/usr/bin/env bash
# test_bench_small.sh — `nucseg bench` end to end on a tiny synthetic batch: every file is
# written (CSV, JSON, recommendation, each plot as PNG and SVG, report.html), PNGs are PNGs,
# every src/href of the page names an existing file, the CSV's speedups follow from its own
# wall times, and the command line rejects bad options with exit status 2.
# (CSV against JSON is checked with cJSON in tests/unit/test_scaling_consistency.c.)
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"
: "${NUCSEG_SRC:?NUCSEG_SRC must name the source tree}"


"$NUCSEG_BIN" bench -o "$T" --images 4 --width 256 --height 256 --repeats 1 --sizes 128,256 >"$T/stdout.txt" \
    || fail "nucseg bench exited with $?"

for f in segmentation_benchmark.csv segmentation_benchmark_summary.json recommendation.txt report.html; do
    [ -s "$T/$f" ] || fail "$f missing or empty"
done
[ ! -e "$T/scratch" ] || fail "scratch outputs left behind"
[ "$(ls "$T/inputs/256x256" | wc -l)" -eq 4 ] || fail "expected 4 inputs in inputs/256x256"
[ "$(ls "$T/inputs/128x128" | wc -l)" -eq 4 ] || fail "expected 4 inputs in inputs/128x128"
grep -q '^Recommendation: [0-9]* worker' "$T/recommendation.txt" || fail "recommendation.txt states no choice"
grep -q '^Recommendation: ' "$T/stdout.txt" || fail "stdout lacks the recommendation"
grep -q '^\[1/[0-9]*\] sequential 256x256 4 images: ' "$T/stdout.txt" || fail "no progress line for the first run"

# plot names, as the library lists them in ns_scaling_plot_names
plots=$(sed -n '/ns_scaling_plot_names\[\] = {/,/NULL}/p' "$NUCSEG_SRC/src/scaling/scaling_plots.c" | grep -o '"[a-z_0-9]*"' | tr -d '"')
[ -n "$plots" ] || fail "could not read the plot names from scaling_plots.c"
for p in $plots; do
    [ -s "$T/$p.png" ] || fail "$p.png missing"
    [ -s "$T/$p.svg" ] || fail "$p.svg missing"
    sig=$(head -c 8 "$T/$p.png" | od -An -tx1 | tr -d ' \n')
    [ "$sig" = "89504e470d0a1a0a" ] || fail "$p.png does not start with the PNG signature ($sig)"
    grep -q '<svg' "$T/$p.svg" || fail "$p.svg is not SVG"
done

# every local src/href of the page points at a file that exists
refs=$(grep -o -E '(src|href)="[^"]*"' "$T/report.html" | sed -E 's/^(src|href)="//; s/"$//' | sort -u)
[ -n "$refs" ] || fail "report.html references no files"
n=0
for ref in $refs; do
    case "$ref" in http://*|https://*|mailto:*|data:*|\#*) continue ;; esac
    file=${ref%%#*}
    file=${file//&amp;/&}
    [ -e "$T/$file" ] || fail "report.html references $ref, which does not exist"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "report.html has no local references"

# speedups in the CSV follow from the CSV's own median wall times (same sweep and size)
awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    k = NR - 1; n = k
    sweep[k] = $col["sweep"]; mode[k] = $col["mode"]; w[k] = $col["workers"]; size[k] = $col["width"]
    t[k] = $col["wall_s_median"]; s_seq[k] = $col["speedup_vs_sequential"]; s_one[k] = $col["speedup_vs_1_worker"]
    eff[k] = $col["efficiency"]
}
function close_enough(a, b) { d = a - b; if (d < 0) d = -d; return d <= 2e-5 * (b < 0 ? -b : b) + 1e-9 }
END {
    bad = 0; checked = 0
    for (i = 1; i <= n; i++) for (j = 1; j <= n; j++) {
        if (sweep[i] != sweep[j] || size[i] != size[j]) continue
        if (mode[j] == "sequential" && !close_enough(s_seq[i], t[j] / t[i])) {
            printf "row %d: speedup_vs_sequential %s, t(seq)/t = %.6g\n", i, s_seq[i], t[j] / t[i]; bad++
        }
        if (mode[j] == "pool" && w[j] == 1) {
            checked++
            if (!close_enough(s_one[i], t[j] / t[i])) {
                printf "row %d: speedup_vs_1_worker %s, t(1)/t = %.6g\n", i, s_one[i], t[j] / t[i]; bad++
            }
        }
    }
    for (i = 1; i <= n; i++) {
        m = mode[i] == "sequential" ? 1 : w[i]
        if (!close_enough(eff[i], s_seq[i] / m)) { printf "row %d: efficiency %s != speedup/workers\n", i, eff[i]; bad++ }
    }
    if (n < 4) { print "too few rows: " n; bad++ }
    if (checked == 0) { print "no 1-worker row to compare against"; bad++ }
    exit bad ? 1 : 0
}' "$T/segmentation_benchmark.csv" || fail "CSV speedups disagree with its wall times"

# the size sweep ran at 128 only (256 is the worker sweep's own size)
grep -q '^size,sequential,1,128,128,4,' "$T/segmentation_benchmark.csv" || fail "no 128x128 size-sweep row"
! grep -q '^size,[a-z]*,[0-9]*,256,' "$T/segmentation_benchmark.csv" || fail "256x256 measured twice"

# bad command lines are usage errors (2), help is fine (0)
set +e
"$NUCSEG_BIN" bench -o "$T/x" --repeats 0 >/dev/null 2>"$T/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--repeats 0 gave exit status $rc, expected 2"
grep -q '^nucseg bench: ' "$T/err.txt" || fail "usage error not reported as 'nucseg bench: ...'"
set +e
"$NUCSEG_BIN" bench --sizes 12x >/dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--sizes 12x gave exit status $rc, expected 2"
"$NUCSEG_BIN" bench --help | grep -q '^usage: nucseg bench' || fail "--help prints no usage"
# values the synthetic fields cannot take are usage errors naming the option, refused before
# OUT is made (they used to pass the parser and stop synthesis with exit status 3); so is a
# worker count above segment -j's limit (it used to be run)
for bad in "--density 0.95" "--diameter 1" "--diameter 1500" "--width 20000 --height 20000" "--sizes 256,20000" \
           "--max-workers 4097"; do
    read -r -a args <<< "$bad"
    set +e
    "$NUCSEG_BIN" bench -o "$T/refused" --images 1 --width 64 --height 64 --repeats 1 -q "${args[@]}" \
        >/dev/null 2>"$T/err.txt"; rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "bench $bad gave exit status $rc, expected 2: $(cat "$T/err.txt")"
    opt=${bad%% *}
    grep -q "^nucseg bench: $opt" "$T/err.txt" || fail "bench $bad: message does not name $opt: $(cat "$T/err.txt")"
    [ ! -e "$T/refused" ] || fail "bench $bad made $T/refused before refusing"
done

# a DATA_DIR with nothing to measure is exit 3 naming it, and OUT is not made (it used to be
# left behind, empty)
mkdir -p "$T/empty"
for d in "$T/empty" "$T/nonexistent"; do
    set +e
    "$NUCSEG_BIN" bench "$d" -o "$T/nothing" -q --repeats 1 >/dev/null 2>"$T/err.txt"; rc=$?
    set -e
    [ "$rc" -eq 3 ] || fail "bench $d gave exit status $rc, expected 3"
    grep -q "^nucseg bench: $d: " "$T/err.txt" || fail "bench $d: message does not name it: $(cat "$T/err.txt")"
    [ ! -e "$T/nothing" ] || fail "bench $d made $T/nothing"
done

# a real browser renders the page, when one is installed
browser=""
for b in chromium chromium-headless-shell google-chrome chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -n "$browser" ]; then
    "$browser" --headless --no-sandbox --disable-gpu --screenshot="$T/shot.png" --window-size=1200,2000 \
        "file://$T/report.html" >/dev/null 2>&1 || fail "$browser could not render report.html"
    [ -s "$T/shot.png" ] || fail "no screenshot"
    [ "$(stat -c %s "$T/shot.png")" -gt 20000 ] || fail "screenshot is suspiciously small"
    echo "rendered report.html with $browser"
else
    echo "chromium not installed: page references validated only"
fi
echo "test_bench_small: ok"
