# tiff_craft.sh — sourced by e2e tests: write minimal uncompressed TIFFs byte by byte,
# so tests can make malformed or unusual files without any image library.
# mk_tiff FILE WIDTH HEIGHT BITS SAMPLEFORMAT   (1 = unsigned, 2 = signed, 3 = float)

le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
entry() { le16 "$1"; le16 "$2"; le32 1; if [ "$2" = 3 ]; then le16 "$3"; le16 0; else le32 "$3"; fi; }

mk_tiff() {
  local f=$1 w=$2 h=$3 bits=$4 fmt=$5
  local nent=10 ifd=8
  local data=$((ifd + 2 + nent * 12 + 4))
  local bytes=$((w * h * bits / 8))
  {
    printf 'II*\0'; le32 $ifd
    le16 $nent
    entry 256 4 "$w"; entry 257 4 "$h"; entry 258 3 "$bits"; entry 259 3 1; entry 262 3 1
    entry 273 4 $data; entry 277 3 1; entry 278 4 "$h"; entry 279 4 $bytes; entry 339 3 "$fmt"
    le32 0
    head -c "$bytes" /dev/zero
  } > "$f"
}
