#!/usr/bin/env bash
# test_resume_checksums.sh — --resume redoes an image whose label TIFF was damaged in
# place (same size, 200 bytes zeroed in the middle) and an image whose input was replaced
# by another image; the intact ones are skipped. The metadata records size and CRC-32 of
# the input and of each output, and they match the files (Python's zlib.crc32 agrees).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

mkdir -p "$T/in"
imgs=($(ls "$DATA"/*.png | grep -v _labels | head -5))
for f in "${imgs[@]:0:4}"; do cp "$f" "$T/in/"; done
"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --progress lines > "$T/log1" 2>&1 \
  || { cat "$T/log1"; fail "first run"; }
a=$(basename "${imgs[0]}" .png)
b=$(basename "${imgs[1]}" .png)

/usr/bin/python3 - "$T/out" <<'PY' || fail "recorded checksums do not match the files"
import json, sys, zlib, glob, os
for m in glob.glob(sys.argv[1] + "/unknown/*/*_metadata.json"):
    meta = json.load(open(m))
    files = {"input": meta["source"], "labels": meta["outputs"]["labels"],
             "nuclei_csv": meta["outputs"]["nuclei_csv"], "centroids_npy": meta["outputs"]["centroids_npy"]}
    for key, path in files.items():
        data = open(path, "rb").read()
        rec = meta["checksums"][key]
        assert rec["bytes"] == len(data), (m, key)
        assert rec["crc32"] == "%08x" % zlib.crc32(data), (m, key)
PY

# Damage a's label image in place: same size, 200 bytes zeroed in the middle.
lab="$T/out/unknown/$a/${a}_labels.tif"
size=$(stat -c %s "$lab")
[ "$size" -gt 400 ] || fail "label image too small to damage ($size bytes)"
dd if=/dev/zero of="$lab" bs=1 seek=$((size / 2 - 100)) count=200 conv=notrunc status=none
[ "$(stat -c %s "$lab")" = "$size" ] || fail "the damage changed the size"
# Replace b's input by another image (e's pixels under b's name).
cp "${imgs[4]}" "$T/in/$b.png"

"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --resume --progress lines > "$T/log2" 2>&1 \
  || { cat "$T/log2"; fail "resume run"; }
grep -q "^\[.*$a.png: skipped" "$T/log2" && fail "resume skipped the image whose label TIFF was damaged"
grep -q "^\[.*$b.png: skipped" "$T/log2" && fail "resume skipped the image whose input was replaced"
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log2")" = 2 ] || { cat "$T/log2"; fail "resume should skip the 2 intact images"; }
/usr/bin/python3 -c "import tifffile, sys; tifffile.imread(sys.argv[1])" "$lab" || fail "the redone label image does not open"
grep -q "\"source\":.*$b.png" "$T/out/unknown/$b/${b}_metadata.json" || fail "metadata of the replaced input"
echo "PASS test_resume_checksums"
