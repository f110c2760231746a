#!/usr/bin/env bash
# test_report_browser.sh — the report of `nucseg run` as a person sees it: headless Chromium
# (started and stopped by this test, by PID) renders OUT/report.html with a probe that counts
# images that did not decode and errors (script errors, resources that failed to load); the
# test fails on any. The same probe on a page with a missing image and a script error must
# report both (so the check can fail). The page must show what a biologist looks at:
# nucseg's own outlines, nuclei per well and magnification, histograms, F1 against the truth,
# and the mapping as scale, rotation and shift with its corner error. A screenshot is taken
# too (kept when NUCSEG_REPORT_SCREENSHOT names a file).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "chromium is not installed (scripts/install-deps.sh --with-test installs it)"

"$BIN" run -o "$T/results" --trials 2 > "$T/log" 2>&1 || { tail -20 "$T/log"; fail "nucseg run"; }
R="$T/results/report.html"
for want in "Nuclei per well and magnification" "F1 against the truth" "mean F1 per image" \
            'src="report_files/overlay_10X_Well1_Tile-0.png"' 'src="report_files/overlay_40X_Well2_Site-0.png"' \
            'src="report_files/area_10X.png"' 'src="report_files/intensity_40X.png"' \
            "scale (10X px per 40X px)" "rotation (degrees)" "shift x (10X px)" \
            "corner error against the truth (10X px)"; do
  grep -qF "$want" "$R" || fail "report lacks: $want"
done

# run_browser OUT_FILE ARGS...: Chromium headless in the background, waited for (at most
# 3 minutes, a guard against a hung browser, not a timing), stopped by PID on any exit.
run_browser() {
  local out=$1; shift
  "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/profile" \
    "$@" > "$out" 2> "$T/browser.err" &
  local pid=$!
  on_exit "kill $pid 2>/dev/null"
  for _ in $(seq 1 180); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "chromium did not finish"; }
  wait "$pid" || { cat "$T/browser.err"; fail "chromium exited with $?"; }
}

# probe PAGE: a copy of PAGE (next to it, so its links resolve) whose first script records
# every error and, once loaded, writes <p id="probe-result">PROBE images=N broken=B errors=E
# ...</p> into the page; prints that line.
probe() {
  local page=$1 copy=${1%.html}.probe.html
  sed 's|<head>|<head>\n<script>\nvar probeErrors = [];\nwindow.addEventListener("error", function (e) {\n  probeErrors.push(e.target \&\& e.target.src ? "load:" + e.target.src : "script:" + e.message);\n}, true);\nwindow.addEventListener("load", function () {\n  var bad = [];\n  for (var i = 0; i < document.images.length; i++) {\n    var im = document.images[i];\n    if (!im.complete \|\| im.naturalWidth === 0) bad.push(im.getAttribute("src"));\n  }\n  var p = document.createElement("p");\n  p.id = "probe-result";\n  p.textContent = "PROBE images=" + document.images.length + " broken=" + bad.length +\n    " errors=" + probeErrors.length + " " + bad.concat(probeErrors).join(" ");\n  document.body.appendChild(p);\n});\n</script>|' \
    "$page" > "$copy"
  run_browser "$T/dom.html" --virtual-time-budget=10000 --dump-dom "file://$copy"
  # The result element as the DOM has it (the script's own text does not match this).
  grep -o 'id="probe-result">[^<]*' "$T/dom.html" | sed 's/^id="probe-result">//' | grep . ||
    fail "the probe did not run in $page"
}

# The probe finds a broken image and a script error where there are some.
cp "$R" "$T/results/broken.html"
sed -i 's|</body>|<img src="report_files/no_such.png" alt="x"><script>no_such_function();</script>\n</body>|' \
  "$T/results/broken.html"
line=$(probe "$T/results/broken.html")
echo "broken page: $line"
case $line in *" broken=1 "*) ;; *) fail "probe missed the broken image: $line" ;; esac
case $line in *" errors=0 "*) fail "probe missed the errors: $line" ;; esac

line=$(probe "$R")
echo "report: $line"
case $line in "PROBE images="*" broken=0 errors=0 ") ;; *) fail "report: $line" ;; esac
n=$(echo "$line" | sed 's/PROBE images=\([0-9]*\).*/\1/')
[ "$n" -ge 15 ] || fail "report shows only $n images"

run_browser /dev/null --hide-scrollbars --window-size=1200,5600 --screenshot="$T/shot.png" "file://$R"
[ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "no screenshot"
[ "$(stat -c %s "$T/shot.png")" -gt 200000 ] || fail "screenshot suspiciously small"
[ -z "${NUCSEG_REPORT_SCREENSHOT:-}" ] || cp "$T/shot.png" "$NUCSEG_REPORT_SCREENSHOT"
echo "PASS test_report_browser ($n images, screenshot $(stat -c %s "$T/shot.png") bytes)"
