#!/usr/bin/env bash
# test_cli_option_errors.sh — a command line getopt refuses (an unknown option, an option
# without its value) is a usage error (exit 2) whose first line on stderr names the command
# as "nucseg <command>:", then the option and what is wrong; bench no longer adds
# "unknown option" to an option that only lacks its value.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

: "${NUCSEG_BIN:?NUCSEG_BIN must name the nucseg binary}"

for cmd in segment bench synth map bench-opt run eval; do
    rc=0; "$NUCSEG_BIN" "$cmd" --bogus >/dev/null 2>"$T/err.txt" || rc=$?
    [ "$rc" -eq 2 ] || fail "$cmd --bogus: exit $rc, expected 2"
    first=$(head -n 1 "$T/err.txt")
    [ "$first" = "nucseg $cmd: unrecognized option '--bogus'" ] || fail "$cmd --bogus: first line '$first'"
done
for cmd in segment bench map bench-opt run; do
    rc=0; "$NUCSEG_BIN" "$cmd" -o >/dev/null 2>"$T/err.txt" || rc=$?
    [ "$rc" -eq 2 ] || fail "$cmd -o: exit $rc, expected 2"
    first=$(head -n 1 "$T/err.txt")
    [ "$first" = "nucseg $cmd: option requires an argument -- 'o'" ] || fail "$cmd -o: first line '$first'"
    ! grep -q 'unknown option' "$T/err.txt" || fail "$cmd -o: calls a known option unknown: $(cat "$T/err.txt")"
done
echo "PASS"
