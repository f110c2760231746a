#!/usr/bin/env bash
# test_interrupt.sh — a batch stopped by SIGTERM / SIGINT writes a summary marked
# interrupted that counts what was done; every image it counts as done has all its
# outputs, intact (tifffile opens the labels) and recorded with matching checksums; the
# exit status is 128 + the signal. One image hangs (test hook), so the batch is certainly
# still running when the signal comes: nothing here depends on timing.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -8); do cp "$f" "$T/in/"; done
stuck=$(basename "$(ls "$T"/in/*.png | head -1)" .png)

for sig in TERM INT; do
  out="$T/out_$sig"
  NUCSEG_FAULT_INJECT="hang:$stuck" "$BIN" segment "$T/in" --magnification auto -o "$out" -j 2 \
      --progress lines > "$T/log_$sig" 2>&1 &
  pid=$!
  on_exit "kill -9 $pid 2>/dev/null" # the hung image never ends on its own
  # The 7 other images reported done (one worker is stuck), then the signal.
  for _ in $(seq 1 1200); do
    [ "$(grep -c '^\[' "$T/log_$sig" || true)" -ge 7 ] && break
    sleep 0.1
  done
  [ "$(grep -c '^\[' "$T/log_$sig" || true)" -ge 7 ] || { cat "$T/log_$sig"; fail "$sig: the other images did not finish"; }
  kill -$sig $pid
  set +e
  wait $pid
  rc=$?
  set -e
  want=$((128 + $(kill -l $sig)))
  [ $rc = $want ] || { cat "$T/log_$sig"; fail "$sig: exit $rc, want $want"; }
  grep -q "interrupted by SIG$sig: 7 ok, 0 skipped (complete), 0 failed, 1 not processed of 8 images" "$T/log_$sig" \
    || { cat "$T/log_$sig"; fail "$sig: no interrupted line"; }
  /usr/bin/python3 - "$out" <<'PY' || fail "$sig: summary or outputs wrong"
import json, glob, sys, zlib, tifffile
out = sys.argv[1]
s = json.load(open(out + "/segmentation_summary.json"))
assert s["interrupted"] is True and s["succeeded"] == 7 and s["not_processed"] == 1 and s["failed"] == 0, s
metas = glob.glob(out + "/unknown/*/*_metadata.json")
assert len(metas) == 7, metas
for m in metas:
    meta = json.load(open(m))
    tifffile.imread(meta["outputs"]["labels"])
    for key, path in (("labels", meta["outputs"]["labels"]), ("nuclei_csv", meta["outputs"]["nuclei_csv"]),
                      ("centroids_npy", meta["outputs"]["centroids_npy"])):
        data = open(path, "rb").read()
        assert meta["checksums"][key]["crc32"] == "%08x" % zlib.crc32(data), (m, key)
PY
  sleep 0.2
  pgrep -f "segment $T/in" > /dev/null && fail "$sig: workers outlived the interrupted run"
  [ -z "$(find "$out" -name '.*.tmp.*')" ] || fail "$sig: temporary files left"
done
echo "PASS test_interrupt"
