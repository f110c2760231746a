#!/usr/bin/env bash
# test_out_errors.sh — where outputs cannot go.
#  * A read-only OUT is refused before any image is read: one line naming OUT, exit 3.
#  * A disk with no space left: every image fails, and no temporary file stays behind.
#  * A plain run (no --resume) removes the temporary files a dead process left.
# The read-only and full disks are small tmpfs mounted here (root); without root the
# read-only folder is a chmod and the full disk is skipped (said so).
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
BIN=${NUCSEG_BIN:?}
DATA=${NUCSEG_TEST_DATA:?}/dsb2018-dev

mkdir -p "$T/in"
for f in $(ls "$DATA"/*.png | grep -v _labels | head -4); do cp "$f" "$T/in/"; done
can_mount=0
if [ "$(id -u)" = 0 ] && mkdir -p "$T/probe" && mount -t tmpfs -o size=64k tmpfs "$T/probe" 2>/dev/null; then
  on_exit 'umount "$T/probe" 2>/dev/null'
  umount "$T/probe"
  can_mount=1
fi

# --- read-only OUT ---
mkdir -p "$T/ro"
if [ $can_mount = 1 ]; then
  mount -t tmpfs -o ro,size=64k tmpfs "$T/ro"; on_exit 'umount "$T/ro" 2>/dev/null'
elif [ "$(id -u)" != 0 ]; then
  chmod a-w "$T/ro"
else
  fail "root but cannot mount a tmpfs: cannot make a read-only folder"
fi
set +e
"$BIN" segment "$T/in" --magnification auto -o "$T/ro" -j 2 --progress lines > "$T/ro.out" 2> "$T/ro.err"
rc=$?
set -e
[ $rc = 3 ] || { cat "$T/ro.out" "$T/ro.err"; fail "read-only OUT: exit $rc, want 3"; }
[ "$(wc -l < "$T/ro.err")" = 1 ] || { cat "$T/ro.err"; fail "read-only OUT: want one line on stderr"; }
grep -q "$T/ro: output folder not writable" "$T/ro.err" || { cat "$T/ro.err"; fail "read-only OUT: the line must name OUT"; }
grep -q "^\[" "$T/ro.out" && fail "read-only OUT: images were processed before the check"

# --- no space left ---
if [ $can_mount = 1 ]; then
  mkdir -p "$T/full"
  mount -t tmpfs -o size=256k tmpfs "$T/full"; on_exit 'umount "$T/full" 2>/dev/null'
  # OUT already holds its settings (an earlier run of the same settings, which took no
  # space to speak of): the disk fills up under the images' outputs, not before.
  "$BIN" segment "$(ls "$T"/in/*.png | head -1)" --magnification auto -o "$T/full" -j 1 --progress quiet > /dev/null \
    || fail "full disk: the first run, with room"
  dd if=/dev/zero of="$T/full/fill" bs=4k status=none 2>/dev/null || true
  set +e
  "$BIN" segment "$T/in" --magnification auto -o "$T/full" -j 2 --progress lines > "$T/full.out" 2>&1
  rc=$?
  set -e
  [ $rc != 0 ] || fail "full disk: exit 0"
  [ "$(grep -c "FAILED" "$T/full.out")" = 4 ] || { cat "$T/full.out"; fail "full disk: want 4 failed images"; }
  left=$(find "$T/full" -name '.*.tmp.*')
  [ -z "$left" ] || fail "full disk left temporary files: $left"
else
  echo "SKIP full disk: needs root to mount a small tmpfs"
fi

# --- a plain re-run removes a dead process's temporary files ---
"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --progress quiet > /dev/null || fail "clean run"
s=$(basename "$(ls "$T"/in/*.png | head -1)" .png)
true & dead=$!
wait $dead
sleep 300 & live=$!
on_exit "kill $live 2>/dev/null"
stale="$T/out/unknown/$s/.${s}_labels.tif.tmp.$dead.$(hostname)"
alive="$T/out/unknown/$s/.${s}_nuclei.csv.tmp.$live.$(hostname)"
# The same dead pid on another machine writing into the same folder (a shard, an MPI rank
# there): its pid says nothing here, so its file stays.
elsewhere="$T/out/unknown/$s/.${s}_labels.tif.tmp.$dead.another-node"
: > "$stale"; : > "$alive"; : > "$elsewhere"
"$BIN" segment "$T/in" --magnification auto -o "$T/out" -j 2 --progress quiet > /dev/null || fail "re-run"
[ ! -e "$stale" ] || fail "a plain re-run kept a dead process's temporary file"
[ -e "$alive" ] || fail "a plain re-run removed a live process's temporary file"
[ -e "$elsewhere" ] || fail "a plain re-run removed another machine's temporary file"
kill $live
echo "PASS test_out_errors"
