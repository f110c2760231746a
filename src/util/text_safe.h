/* text_safe.h — file names as JSON and terminals can take them.
 *
 * A Linux file name is any bytes but '/' and NUL: it may hold bytes that are not UTF-8
 * (JSON must be UTF-8), a newline (which splits a log line in two) or an escape (which a
 * terminal obeys). Both functions keep valid UTF-8 as it is and write each offending
 * byte as the four characters \xNN (hex), so a name stays recognisable and two names
 * stay different. In JSON, control characters are left to cJSON, which escapes them. */
#ifndef NUCSEG_UTIL_TEXT_SAFE_H
#define NUCSEG_UTIL_TEXT_SAFE_H

#include <cjson/cJSON.h>

/* s with bytes that are not UTF-8 as \xNN: a new malloc'd string, NULL when out of memory. */
char *ns_text_utf8(const char *s);
/* s for a log line or a terminal: also control characters (newline, tab, ESC, DEL) as
 * \xNN. A new malloc'd string, NULL when out of memory. */
char *ns_text_printable(const char *s);
/* cJSON_AddStringToObject with value made valid UTF-8 (ns_text_utf8). */
cJSON *ns_json_add_text(cJSON *object, const char *name, const char *value);

#endif
