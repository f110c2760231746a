#!/usr/bin/env bash
# test_synth_cli.sh — `nucseg synth` end to end on a small plate: exit statuses (0 ok,
# 2 usage), the lab layout and truth files it promises, PNG previews that are PNGs,
# byte-identical output for the same seed (different output for another seed), and a
# plate written over an earlier one replacing it.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"


[ "$(status_of "$NUCSEG_BIN" synth --help)" -eq 0 ] || fail "--help should exit 0"
grep -q '^usage: nucseg synth OUT_DIR' "$T/out.txt" || fail "--help prints no usage"
[ "$(status_of "$NUCSEG_BIN" synth)" -eq 2 ] || fail "missing OUT_DIR should exit 2"
grep -q '^nucseg synth: ' "$T/err.txt" || fail "usage error not reported on stderr"
[ "$(status_of "$NUCSEG_BIN" synth "$T/x" --wells abc)" -eq 2 ] || fail "--wells abc should exit 2"
[ "$(status_of "$NUCSEG_BIN" synth "$T/x" --size-10x 256 --size-40x 2048)" -eq 2 ] \
    || fail "a 40X site larger than its 10X tile should exit 2"
grep -q 'does not fit' "$T/err.txt" || fail "no reason given for the misfit site: $(cat "$T/err.txt")"
[ ! -e "$T/x/truth.json" ] || fail "a refused plate left truth.json behind"

small=(--wells 2 --tiles-10x 4 --sites-per-tile 1 --size-10x 256 --size-40x 512)
"$NUCSEG_BIN" synth "$T/a" --seed 5 "${small[@]}" >"$T/a.log" || fail "synth exited $?"
"$NUCSEG_BIN" synth "$T/b" --seed 5 "${small[@]}" >/dev/null || fail "second synth exited $?"
"$NUCSEG_BIN" synth "$T/c" --seed 6 "${small[@]}" >/dev/null || fail "third synth exited $?"
grep -q '8 10X tile(s) of 256x256, 8 40X site(s) of 512x512' "$T/a.log" || fail "summary line: $(head -n 1 "$T/a.log")"
grep -q "$T/a/genotyping/cycle_1/" "$T/a.log" || fail "output location not printed"

for w in 1 2; do
    for n in 0 1 2 3; do
        for f in "genotyping/cycle_1/Well${w}_Tile-$n.tif" "phenotyping/Well${w}_Site-$n.tif" \
                 "truth/10X/Well${w}_Tile-${n}_labels.tif" "truth/10X/Well${w}_Tile-${n}_nuclei.csv" \
                 "truth/40X/Well${w}_Site-${n}_labels.tif" "truth/40X/Well${w}_Site-${n}_nuclei.csv"; do
            [ -s "$T/a/$f" ] || fail "$f missing or empty"
        done
        [ "$(head -n 1 "$T/a/truth/10X/Well${w}_Tile-${n}_nuclei.csv")" = "label,nucleus_id,centroid_x,centroid_y,area" ] \
            || fail "Well${w}_Tile-$n CSV header"
    done
done
[ "$(ls "$T/a/genotyping/cycle_1" | wc -l)" -eq 8 ] || fail "expected 8 10X tiles"
[ "$(ls "$T/a/phenotyping" | wc -l)" -eq 8 ] || fail "expected 8 40X sites"
for p in Well1_Tile-0 Well1_Tile-0_overlay Well1_Site-0 Well1_Site-0_overlay; do
    [ "$(head -c 8 "$T/a/preview/$p.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "preview/$p.png is not a PNG"
done
grep -q '"generator":[[:space:]]*"nucseg synth"' "$T/a/truth.json" || fail "truth.json lacks the generator"
[ "$(grep -c '"affine_40x_to_10x"' "$T/a/truth.json")" -eq 8 ] || fail "truth.json should hold 8 pairs"
ls -A "$T/a" "$T/a"/* | grep -q '\.tmp\.' && fail "temporary files left behind"

diff -r "$T/a" "$T/b" >/dev/null || fail "same seed, different bytes"
cmp -s "$T/a/genotyping/cycle_1/Well1_Tile-0.tif" "$T/c/genotyping/cycle_1/Well1_Tile-0.tif" \
    && fail "seeds 5 and 6 gave the same tile"

# A smaller plate written over a bigger one replaces it: the views it lacks go, so segment
# and map see only what the new truth.json describes; the user's own files stay.
before=$(find "$T/b" -type f | wc -l)
touch "$T/b/notes.txt" "$T/b/phenotyping/Mine_Site-9.tif"
"$NUCSEG_BIN" synth "$T/b" --seed 5 --wells 1 --tiles-10x 2 --size-10x 256 --size-40x 512 >"$T/b.log" \
    || fail "synth over an earlier plate exited $?"
gone=$((before + 2 - $(find "$T/b" -type f | wc -l)))
[ "$gone" -gt 0 ] && grep -q "removed $gone files of views of the previous plate" "$T/b.log" \
    || fail "$gone files gone, report: $(grep removed "$T/b.log")"
[ -z "$(find "$T/b" -name 'Well2_*')" ] || fail "the earlier plate's Well2 is left: $(find "$T/b" -name 'Well2_*' | head -3)"
[ "$(ls "$T/b/genotyping/cycle_1")" = "$(printf 'Well1_Tile-0.tif\nWell1_Tile-1.tif')" ] \
    || fail "10X tiles after the smaller plate: $(ls "$T/b/genotyping/cycle_1" | tr '\n' ' ')"
[ "$(ls "$T/b/phenotyping" | wc -l)" -eq 3 ] || fail "40X sites after the smaller plate: $(ls "$T/b/phenotyping")"
[ -e "$T/b/notes.txt" ] && [ -e "$T/b/phenotyping/Mine_Site-9.tif" ] || fail "a user's file was removed"
# A truth.json another program wrote names nothing synth may remove.
sed 's/"nucseg synth"/"someone else"/' "$T/a/truth.json" >"$T/c/truth.json"
"$NUCSEG_BIN" synth "$T/c" --seed 6 --wells 1 --size-10x 256 --size-40x 512 >/dev/null || fail "synth over c exited $?"
[ -e "$T/c/phenotyping/Well2_Site-0.tif" ] || fail "files listed by a foreign truth.json were removed"
echo "PASS"
