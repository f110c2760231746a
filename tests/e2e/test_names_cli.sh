#!/usr/bin/env bash
# test_names_cli.sh — wells and tiles from the names labs give files (docs/naming.md):
# OPS (10X_c1-SBS-1_A1_Tile-7.sbs.tif: well A1, tile 7, 10X), brieflow
# (P-1_W-B2_T-0__...tiff: plate 1, well B2, tile 0) and the seed (Well1_Point1_0034.tif:
# well Well1, tile 34) land in folders of their well, with plate/well/tile columns, and
# each well gets one merged table (OUT/<mag>/<well>/<well>_nuclei.csv); --name-pattern
# reads another layout, and a name it does not match is refused with one line.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

imgs=($(ls "$DATA"/*.png | grep -v _labels | head -6))
mkdir -p "$T/in"
# The reader goes by content, not name: PNGs stand in under TIFF names.
cp "${imgs[0]}" "$T/in/10X_c1-SBS-1_A1_Tile-7.sbs.tif"
cp "${imgs[1]}" "$T/in/10X_c1-SBS-1_A1_Tile-12.sbs.tif"
cp "${imgs[2]}" "$T/in/P-1_W-B2_T-0__Channel-DAPI.tiff"
cp "${imgs[3]}" "$T/in/P-1_W-B2_T-3__Channel-DAPI.tiff"
cp "${imgs[4]}" "$T/in/Well1_Point1_0034.tif"
"$BIN" segment "$T/in" -o "$T/out" -j 2 --progress quiet > "$T/log" 2>&1 || { cat "$T/log"; fail "segment exit"; }

# The OPS files are 10X by their names; the others have no magnification.
[ -s "$T/out/10X/A1/10X_c1-SBS-1_A1_Tile-7.sbs_nuclei.csv" ] || fail "OPS: not in 10X/A1: $(cd "$T/out" && find . -name '*.csv')"
[ -s "$T/out/unknown/B2/P-1_W-B2_T-0__Channel-DAPI_nuclei.csv" ] || fail "brieflow: not in unknown/B2"
[ -s "$T/out/unknown/Well1/Well1_Point1_0034_nuclei.csv" ] || fail "seed: not in unknown/Well1"

/usr/bin/python3 - "$T/out" <<'PY' || fail "plate/well/tile columns or well tables wrong"
import csv, glob, json, os, sys
out = sys.argv[1]
def rows(p): return list(csv.DictReader(open(p)))
want = {"10X/A1/10X_c1-SBS-1_A1_Tile-7.sbs": ("", "A1", "7"), "10X/A1/10X_c1-SBS-1_A1_Tile-12.sbs": ("", "A1", "12"),
        "unknown/B2/P-1_W-B2_T-0__Channel-DAPI": ("1", "B2", "0"), "unknown/B2/P-1_W-B2_T-3__Channel-DAPI": ("1", "B2", "3"),
        "unknown/Well1/Well1_Point1_0034": ("", "Well1", "34")}
for stem, (plate, well, tile) in want.items():
    rs = rows(os.path.join(out, stem + "_nuclei.csv"))
    assert rs and all((r["plate"], r["well"], r["tile"]) == (plate, well, tile) for r in rs), (stem, rs[0])
    m = json.load(open(os.path.join(out, stem + "_metadata.json")))
    assert (m["plate"], m["well"], m["tile"]) == (plate, well, tile), (stem, m)
# One table per well: the tiles' rows in tile order (7 before 12), one header.
for well, tiles in (("10X/A1", ["10X_c1-SBS-1_A1_Tile-7.sbs", "10X_c1-SBS-1_A1_Tile-12.sbs"]),
                    ("unknown/B2", ["P-1_W-B2_T-0__Channel-DAPI", "P-1_W-B2_T-3__Channel-DAPI"]),
                    ("unknown/Well1", ["Well1_Point1_0034"])):
    merged = open(os.path.join(out, well, os.path.basename(well) + "_nuclei.csv")).read()
    parts = [open(os.path.join(out, well, t + "_nuclei.csv")).read() for t in tiles]
    assert merged == parts[0] + "".join(p.split("\n", 1)[1] for p in parts[1:]), well
print("names: ok")
PY
[ -z "$(find "$T/out" -name '.*.tmp.*')" ] || fail "temporary files left"

# --- --name-pattern: another layout (here Opera Phenix style r02c05f01) ---
mkdir -p "$T/in2"
cp "${imgs[0]}" "$T/in2/r02c05f01p01-ch1.tif"
cp "${imgs[1]}" "$T/in2/r02c05f02p01-ch1.tif"
"$BIN" segment "$T/in2" -o "$T/out2" -j 1 --progress quiet --name-pattern 'r{plate}c{well}f{tile}p{}-*' > "$T/log" 2>&1 \
  || { cat "$T/log"; fail "--name-pattern exit"; }
[ -s "$T/out2/unknown/05/05_nuclei.csv" ] || fail "--name-pattern: no well 05 table: $(cd "$T/out2" && find . -name '*.csv')"
cut -d, -f14-16 "$T/out2/unknown/05/r02c05f02p01-ch1_nuclei.csv" | sed -n 2p | grep -qx "02,05,2" || fail "--name-pattern columns"
cp "${imgs[2]}" "$T/in2/odd_name.tif"
rc=0; "$BIN" segment "$T/in2" -o "$T/out3" -j 1 --progress quiet --name-pattern 'r{plate}c{well}f{tile}p{}-*' > "$T/log" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "odd_name.tif: name 'odd_name' does not match --name-pattern" "$T/log" || { cat "$T/log"; fail "unmatched name: exit $rc"; }
[ ! -e "$T/out3/unknown" ] || fail "outputs written although the names were refused"
rc=0; "$BIN" segment "$T/in2" -o "$T/out4" --name-pattern '{tile}' > "$T/log" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "needs one {well}" "$T/log" || { cat "$T/log"; fail "pattern without well: exit $rc"; }
echo "PASS test_names_cli"
