# same_outputs.sh — sourced by tests: same_outputs REF OUT fails unless OUT holds the same
# per-image outputs as REF, byte for byte: label TIFFs, tables and centroid files as they
# are, metadata with its timings and its own folder's name taken out (the only parts of a
# run that differ from another run's).
strip_metadata() { # FILE OUTDIR: the metadata without what differs between runs
  sed -e '/"timing_ms":/,/}/d' -e "s|$2/||g" "$1"
}
same_outputs() { # REF OUT
  local ref=$1 out=$2 n=0 f
  local list_ref list_out
  list_ref=$(cd "$ref" && find . -path ./inputs -prune -o -type f \( -name '*_labels.tif' -o -name '*_nuclei.csv' \
             -o -name '*.npy' -o -name '*_metadata.json' \) -print | sort)
  list_out=$(cd "$out" && find . -path ./inputs -prune -o -type f \( -name '*_labels.tif' -o -name '*_nuclei.csv' \
             -o -name '*.npy' -o -name '*_metadata.json' \) -print | sort)
  [ "$list_ref" = "$list_out" ] || fail "$out: not the same output files as $ref: $(diff <(echo "$list_ref") <(echo "$list_out") | head -5)"
  for f in $list_ref; do
    case $f in
      *_metadata.json) cmp -s <(strip_metadata "$ref/$f" "$ref") <(strip_metadata "$out/$f" "$out") \
                         || fail "$out/$f differs from $ref/$f beyond timings" ;;
      *) cmp -s "$ref/$f" "$out/$f" || fail "$out/$f differs from $ref/$f" ;;
    esac
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || fail "no outputs in $ref: the comparison compares nothing"
  [ -z "$(find "$out" -name '.*.tmp.*')" ] || fail "temporary files left in $out: $(find "$out" -name '.*.tmp.*')"
}
