/* json_number.c — see json_number.h. */
#include "util/json_number.h"
#include <math.h>

cJSON *ns_json_add_number(cJSON *object, const char *name, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(object, name, v) : cJSON_AddNullToObject(object, name);
}
