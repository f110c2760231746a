#!/usr/bin/env bash
# test_pixel_size.sh — micrometres (docs/units.md): the pixel size of an OME-TIFF, an
# ImageJ TIFF and a TIFF with resolution tags in cm or inch is read; --diameter-um 7 on
# an OME-TIFF with PhysicalSizeX=0.325 segments exactly as --diameter 21.5 (byte-identical
# label TIFF and table); --pixel-size overrides the file; the outputs carry the size (label
# TIFF as Fiji/tifffile read it, metadata JSON, *_um columns); a file without one and
# --diameter-um fails with one line naming it. tifffile writes the inputs (test-only).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
PY=/usr/bin/python3

img=$(ls "$DATA"/*.png | grep -v _labels | head -1)
mkdir -p "$T/in"
$PY - "$img" "$T/in" <<'PY'
import sys, numpy as np, tifffile
from skimage.io import imread
img = imread(sys.argv[1]); d = sys.argv[2]
if img.ndim == 3: img = img[..., 0]
img = img.astype(np.uint16) * 200
ome = dict(axes="YX", PhysicalSizeX=0.325, PhysicalSizeXUnit="\u00b5m", PhysicalSizeY=0.325, PhysicalSizeYUnit="\u00b5m")
tifffile.imwrite(d + "/A1_Tile-1.ome.tif", img, metadata=ome)
tifffile.imwrite(d + "/ijum.tif", img, imagej=True, resolution=(1 / 0.65, 1 / 0.65), metadata={"unit": "micron"})
tifffile.imwrite(d + "/ijnm.tif", img, imagej=True, resolution=(1 / 650.0, 1 / 650.0), metadata={"unit": "nm"})
tifffile.imwrite(d + "/rescm.tif", img, resolution=(1e4 / 0.5, 1e4 / 0.5), resolutionunit="CENTIMETER")
tifffile.imwrite(d + "/resinch.tif", img, resolution=(25400 / 0.8, 25400 / 0.8), resolutionunit="INCH")
tifffile.imwrite(d + "/plain.tif", img)
tifffile.imwrite(d + "/badunit.tif", img, description='<?xml version="1.0"?><OME><Image><Pixels '
                 'DimensionOrder="XYZCT" PhysicalSizeX="0.3" PhysicalSizeXUnit="parsec" SizeX="1"/></Image></OME>')
PY
seg() { "$BIN" segment "$1" --magnification auto -j 1 --progress quiet "${@:2}"; }
meta() { $PY -c "import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# --- the acceptance case: 7 um at 0.325 um/px is 21.5 px (7 / 0.325 = 21.54, to 0.1 px) ---
seg "$T/in/A1_Tile-1.ome.tif" --diameter-um 7 -o "$T/um" > "$T/log" 2>&1 || { cat "$T/log"; fail "--diameter-um exit"; }
seg "$T/in/A1_Tile-1.ome.tif" --diameter 21.5 -o "$T/px" > "$T/log" 2>&1 || { cat "$T/log"; fail "--diameter exit"; }
U=$T/um/unknown/A1; P=$T/px/unknown/A1
[ -s "$U/A1_Tile-1_labels.tif" ] || fail "a .ome.tif's stem drops .ome: $(ls -R "$T/um")"
cmp "$U/A1_Tile-1_labels.tif" "$P/A1_Tile-1_labels.tif" || fail "--diameter-um 7 labels differ from --diameter 21.5"
cmp "$U/A1_Tile-1_nuclei.csv" "$P/A1_Tile-1_nuclei.csv" || fail "--diameter-um 7 table differs from --diameter 21.5"
[ "$(meta "$U/A1_Tile-1_metadata.json" 'm["parameters"]["diameter_requested"]')" = 21.5 ] || fail "diameter_requested"
[ "$(meta "$U/A1_Tile-1_metadata.json" 'm["pixel_size_um"]')" = "{'x': 0.325, 'y': 0.325, 'source': 'ome'}" ] \
  || fail "metadata pixel size: $(meta "$U/A1_Tile-1_metadata.json" 'm["pixel_size_um"]')"
n=$(($(wc -l < "$U/A1_Tile-1_nuclei.csv") - 1)); [ "$n" -gt 5 ] || fail "only $n nuclei"

# The label TIFF carries the size as Fiji and tifffile read it, and nucseg reads it back;
# the table has the micrometre columns, equal to the px ones times the size.
$PY - "$U/A1_Tile-1_labels.tif" "$U/A1_Tile-1_nuclei.csv" <<'PY' || fail "outputs do not carry the pixel size"
import csv, sys, tifffile
with tifffile.TiffFile(sys.argv[1]) as t:
    assert t.is_imagej and t.imagej_metadata["unit"] == "micron", t.imagej_metadata
    num, den = t.pages[0].tags["XResolution"].value
    assert abs(den / num - 0.325) < 1e-6, (num, den)
    num, den = t.pages[0].tags["YResolution"].value
    assert abs(den / num - 0.325) < 1e-6, (num, den)
rows = list(csv.DictReader(open(sys.argv[2])))
for r in rows:
    assert abs(float(r["area_um2"]) - float(r["area"]) * 0.325 ** 2) < 1e-4, r
    assert abs(float(r["centroid_x_um"]) - float(r["centroid_x"]) * 0.325) < 1e-3, r
    assert abs(float(r["centroid_y_um"]) - float(r["centroid_y"]) * 0.325) < 1e-3, r
    assert abs(float(r["major_axis_length_um"]) - float(r["major_axis_length"]) * 0.325) < 1e-3, r
    assert abs(float(r["minor_axis_length_um"]) - float(r["minor_axis_length"]) * 0.325) < 1e-3, r
    assert (r["plate"], r["well"], r["tile"]) == ("", "A1", "1"), r
PY
mkdir -p "$T/again"; cp "$U/A1_Tile-1_labels.tif" "$T/again/L.tif"
seg "$T/again/L.tif" -o "$T/again_out" > "$T/log" 2>&1 || { cat "$T/log"; fail "segmenting the label TIFF"; }
[ "$(meta "$T/again_out/unknown/L/L_metadata.json" 'm["pixel_size_um"]')" = "{'x': 0.325, 'y': 0.325, 'source': 'imagej'}" ] \
  || fail "nucseg does not read back its own label TIFF's pixel size"

# --- ImageJ (micron, nm) and resolution tags (cm, inch) ---
for c in "ijum 0.65 imagej 10.8" "ijnm 0.65 imagej 10.8" "rescm 0.5 resolution 14" "resinch 0.8 resolution 8.8"; do
  set -- $c
  seg "$T/in/$1.tif" --diameter-um 7 -o "$T/o_$1" > "$T/log" 2>&1 || { cat "$T/log"; fail "$1 exit"; }
  m=$T/o_$1/unknown/$1/$1_metadata.json
  [ "$(meta "$m" 'm["pixel_size_um"]')" = "{'x': $2, 'y': $2, 'source': '$3'}" ] || fail "$1: $(meta "$m" 'm["pixel_size_um"]')"
  [ "$(meta "$m" 'm["parameters"]["diameter_requested"]')" = "$4" ] || fail "$1 diameter: $(meta "$m" 'm["parameters"]')"
done

# --- --pixel-size overrides what the file says ---
seg "$T/in/A1_Tile-1.ome.tif" --pixel-size 0.65 --diameter-um 7 -o "$T/ov" > "$T/log" 2>&1 || { cat "$T/log"; fail "override exit"; }
[ "$(meta "$T/ov/unknown/A1/A1_Tile-1_metadata.json" 'm["pixel_size_um"]')" = "{'x': 0.65, 'y': 0.65, 'source': 'option'}" ] || fail "override"
[ "$(meta "$T/ov/unknown/A1/A1_Tile-1_metadata.json" 'm["parameters"]["diameter_requested"]')" = 10.8 ] || fail "override diameter"

# --- no pixel size: presets and px work, no um columns or tags; --diameter-um fails clearly ---
seg "$T/in/plain.tif" -o "$T/plain" > "$T/log" 2>&1 || { cat "$T/log"; fail "plain exit"; }
[ "$(meta "$T/plain/unknown/plain/plain_metadata.json" 'm["pixel_size_um"]')" = None ] || fail "plain: pixel size invented"
head -1 "$T/plain/unknown/plain/plain_nuclei.csv" | grep -q "_um" && fail "plain: um columns without a pixel size"
$PY -c "import sys,tifffile; t=tifffile.TiffFile(sys.argv[1]); assert 'XResolution' not in t.pages[0].tags" \
  "$T/plain/unknown/plain/plain_labels.tif" || fail "plain: resolution tags invented"
rc=0; seg "$T/in/plain.tif" --diameter-um 7 -o "$T/nopx" > "$T/log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "--diameter-um without a pixel size: exit $rc, want 1"
grep -q "plain.tif: --diameter-um needs a pixel size.*--pixel-size" "$T/log" || { cat "$T/log"; fail "message"; }
[ -z "$(find "$T/nopx" -name '*_labels.tif' -o -name '*_nuclei.csv')" ] || fail "outputs written for a failed image"
rc=0; seg "$T/in/badunit.tif" -o "$T/bad" > "$T/log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "badunit.tif: unreadable pixel size (PhysicalSizeXUnit 'parsec')" "$T/log" || { cat "$T/log"; fail "bad unit: exit $rc"; }
seg "$T/in/badunit.tif" --pixel-size 0.3 -o "$T/bad2" > "$T/log" 2>&1 || { cat "$T/log"; fail "--pixel-size does not rescue a bad unit"; }
rc=0; seg "$T/in/plain.tif" --diameter-um 7 --diameter 20 -o "$T/both" > "$T/log" 2>&1 || rc=$?
[ $rc = 2 ] || fail "--diameter with --diameter-um: exit $rc, want 2"
rc=0; seg "$T/in/plain.tif" --pixel-size -1 -o "$T/neg" > "$T/log" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "pixel-size wants micrometres" "$T/log" || fail "--pixel-size -1: exit $rc"
echo "PASS test_pixel_size"
