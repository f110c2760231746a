#!/usr/bin/env bash
# test_out_settings.sh — runs into one OUT never leave a mixed set: two runs started at
# once with --diameter 10 and --diameter 14 (as a new user tried) end with exactly one
# refused before writing anything and every output from the other, identical to a run of
# its settings alone; --resume with other settings is refused too; the same settings join in.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev
source "$(dirname "$0")/same_outputs.sh"

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -10); do cp "$f" "$T/in/"; done
for d in 10 14; do
  "$BIN" segment "$T/in" --magnification auto --diameter $d -o "$T/ref$d" -j 2 --progress quiet > /dev/null
done
cmp -s "$T/ref10/segmentation_summary.json" "$T/ref14/segmentation_summary.json" && fail "diameters 10 and 14 give the same outputs: the test tests nothing"

set +e
"$BIN" segment "$T/in" --magnification auto --diameter 10 -o "$T/out" -j 1 --progress quiet > "$T/log10" 2>&1 &
p10=$!
"$BIN" segment "$T/in" --magnification auto --diameter 14 -o "$T/out" -j 1 --progress quiet > "$T/log14" 2>&1 &
p14=$!
on_exit "kill $p10 $p14 2>/dev/null"
wait $p10; rc10=$?
wait $p14; rc14=$?
set -e
if [ $rc10 = 0 ] && [ $rc14 = 3 ]; then won=10 lost=14
elif [ $rc14 = 0 ] && [ $rc10 = 3 ]; then won=14 lost=10
else cat "$T/log10" "$T/log14"; fail "exits $rc10 and $rc14: want one 0 and one 3"; fi
grep -q "holds outputs made with other settings (10X.diameter $lost here, $won there" "$T/log$lost" \
  || { cat "$T/log$lost"; fail "the refused run does not say why"; }
same_outputs "$T/ref$won" "$T/out"
n=$(grep -l "\"diameter_requested\":[[:space:]]*$won\b" "$T"/out/unknown/*/*_metadata.json | wc -l)
[ "$n" = 10 ] || fail "$n of 10 images made with diameter $won"

# --resume with the other settings is refused as well, and changes nothing.
set +e
"$BIN" segment "$T/in" --magnification auto --diameter $lost -o "$T/out" -j 2 --resume > "$T/log_r" 2>&1; rc=$?
set -e
[ $rc = 3 ] && grep -q "other settings" "$T/log_r" || { cat "$T/log_r"; fail "--resume with other settings: exit $rc"; }
same_outputs "$T/ref$won" "$T/out"
# The same settings join in: everything is skipped.
"$BIN" segment "$T/in" --magnification auto --diameter $won -o "$T/out" -j 2 --resume --progress lines > "$T/log_s" 2>&1 \
  || { cat "$T/log_s"; fail "--resume with the same settings"; }
[ "$(grep -c '^\[.*: skipped (complete)' "$T/log_s")" = 10 ] || fail "--resume with the same settings redid images"
# A settings record that is not one is an error naming it, not a pass.
echo "{" > "$T/bad_settings"
mkdir -p "$T/broken" && cp "$T/bad_settings" "$T/broken/segmentation_settings.json"
set +e
"$BIN" segment "$T/in" --magnification auto -o "$T/broken" > /dev/null 2> "$T/e1"; rc=$?
set -e
[ $rc = 3 ] && grep -q "broken/segmentation_settings.json: not a settings record" "$T/e1" || fail "broken record: exit $rc"
echo "PASS test_out_settings (diameter $won kept, $lost refused)"
