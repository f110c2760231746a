/* builtin.c — the models built into libnucseg, and ns_nn_load's choice between a
 * built-in name and a file. models/nuclei.nsnn is embedded at build time
 * (cmake/embed_file.cmake generates nn_model_nuclei.c from it, and rebuilds it when
 * the file changes), so nucseg needs no file beside itself to segment with it. */
#include <string.h>

#include "nn/nn_internal.h"

extern const unsigned char nn_model_nuclei[];
extern const size_t nn_model_nuclei_size;

ns_status ns_nn_load_builtin(const char *model_name, ns_nn **out, ns_error *err)
{
    *out = NULL;
    if (strcmp(model_name, "nuclei") == 0) return ns_nn_load_memory(nn_model_nuclei, nn_model_nuclei_size, "nuclei", out, err);
    return ns_error_set(err, NS_ERR_INVALID, "%s: no such built-in model (there is: nuclei)", model_name);
}

ns_status ns_nn_load(const char *spec, ns_nn **out, ns_error *err)
{
    if (strcmp(spec, "nuclei") == 0) return ns_nn_load_builtin(spec, out, err);
    return ns_nn_load_file(spec, out, err);
}
