/* fuzz_truth.c — ns_truth_load (truth.json of `nucseg synth`) on arbitrary
 * bytes, then the lookups a mapping evaluation makes on what it loaded. */
#include "fuzz.h"

#include "nucseg/mapping.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size, ".json");
    ns_truth t;
    ns_error err;
    ns_error_clear(&err);
    ns_status st = ns_truth_load(path, &t, &err);
    /* A small file must not need more memory than the machine has: that would be an
     * allocation sized by a claim the file cannot back. */
    FUZZ_CHECK(st != NS_ERR_NOMEM, "%s", err.message);
    if (st != NS_OK) {
        FUZZ_CHECK(t.tiles == NULL && t.pairs == NULL && t.dir == NULL, "failed load left data behind");
        FUZZ_CHECK(strstr(err.message, path) != NULL, "error does not name the file: %s", err.message);
        return 0;
    }
    for (size_t i = 0; i < t.n_tiles; i++) {
        FUZZ_CHECK(t.tiles[i].stem && t.tiles[i].well, "tile %zu without stem or well", i);
        FUZZ_CHECK(ns_truth_find_tile(&t, t.tiles[i].stem) != NULL, "tile %zu not found by its stem", i);
    }
    for (size_t i = 0; i < t.n_pairs; i++) {
        FUZZ_CHECK(t.pairs[i].stem_40x && t.pairs[i].stem_10x && t.pairs[i].well, "pair %zu incomplete", i);
        FUZZ_CHECK(ns_truth_find_pair(&t, t.pairs[i].stem_40x) != NULL, "pair %zu not found", i);
    }
    ns_truth_free(&t);
    return 0;
}
