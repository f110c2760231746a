/* json_number.h — a number as JSON can hold it. JSON has no NaN or infinity (cJSON would
 * write "null" in a number's place anyway, but say nothing of it): a figure that was not
 * measured (NaN) or has no finite value is written as an explicit null. */
#ifndef NUCSEG_UTIL_JSON_NUMBER_H
#define NUCSEG_UTIL_JSON_NUMBER_H

#include <cjson/cJSON.h>

/* cJSON_AddNumberToObject when v is finite, else cJSON_AddNullToObject. */
cJSON *ns_json_add_number(cJSON *object, const char *name, double v);

#endif
