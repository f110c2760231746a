#!/usr/bin/env bash
# test_kill9_resume.sh — nothing lost: kill -9 a batch in the middle (one worker is
# stuck saving an image, its files written under temporary names; the other has
# finished the rest), then check that every output under its final name is complete,
# that the workers died with the parent, and that --resume finishes the batch without
# redoing the finished images and removes the temporary files the killed run left.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -12); do cp "$f" "$T/in/"; done
stuck=$(basename "$(ls "$T"/in/*.png | head -1)" .png)

NUCSEG_FAULT_INJECT="hang-save:$stuck" setsid "$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 \
    --progress lines > "$T/log" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
# Wait until the other worker has finished the remaining images (or 60 s): all but the
# stuck one and the one its worker computed meanwhile, which waits to be saved after it.
for _ in $(seq 1 600); do
  n=$(find "$T/out" -name "*_metadata.json" 2>/dev/null | wc -l || true)
  [ "$n" -ge 10 ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
sleep 0.5
pgrep -f "segment $T/in" > /dev/null && fail "worker processes outlived the killed parent"

# Every visible output is complete: metadata implies all four files; no partial files.
done_before=$(ls "$T"/out/unknown/*/*_metadata.json | wc -l)
[ "$done_before" -ge 1 ] || fail "nothing finished before the kill"
for m in "$T"/out/unknown/*/*_metadata.json; do
  s=${m%_metadata.json}
  for suf in _labels.tif _nuclei.csv _nuclei_centroids_local.npy; do
    [ -s "$s$suf" ] || fail "$(basename "$m") present without $suf"
  done
  grep -q '"nuclei"' "$m" || fail "truncated metadata $m"
done
[ ! -e "$T/out/unknown/$stuck/${stuck}_metadata.json" ] || fail "the stuck image cannot have finished"
[ -n "$(find "$T/out" -name "*.tmp.*")" ] || fail "the stuck save left no temporary files: the test tests nothing"
# A temporary file of a live process (another run writing here) must survive the resume.
sleep 300 & live=$!
on_exit "kill $live 2>/dev/null"
live_tmp="$T/out/unknown/$stuck/.${stuck}_labels.tif.tmp.$live"
: > "$live_tmp"

"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --resume --progress lines > "$T/log2" 2>&1 \
  || { cat "$T/log2"; fail "resume run failed"; }
skipped=$(grep -c '^\[.*: skipped (complete)' "$T/log2")
# Nothing reported done before the kill is lost: each image the killed run printed as done
# is intact (sizes and checksums as recorded) and skipped.
for p in $(sed -n 's/^\[[0-9]*\/[0-9]*\] unknown \(.*\): [0-9]* nuclei.*/\1/p' "$T/log"); do
  grep -q "^\[.*$p: skipped (complete)" "$T/log2" || fail "$p was reported done before kill -9, yet redone"
done
[ "$skipped" = "$done_before" ] || fail "resume skipped $skipped, want $done_before"
[ "$(ls "$T"/out/unknown/*/*_metadata.json | wc -l)" = 12 ] || fail "not all 12 images complete after resume"
[ -e "$live_tmp" ] || fail "resume removed a live process's temporary file"
kill "$live"; rm -f "$live_tmp"
left=$(find "$T/out" -name "*.tmp.*")
[ -z "$left" ] || fail "resume left the killed run's temporary files: $left"
# Every label image written by either run opens as a TIFF: nucseg eval reads them all.
mkdir -p "$T/gt"
for f in "$T"/in/*.png; do cp "$DATA/$(basename "$f" .png)_labels.png" "$T/gt/"; done
"$BIN" eval "$T/gt" "$T/out" > "$T/eval" || { cat "$T/eval"; fail "eval could not read every output"; }
echo "PASS test_kill9_resume ($done_before done before kill -9, $skipped skipped on resume)"
