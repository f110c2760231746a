/* text_safe.c — see text_safe.h. */
#include "util/text_safe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s[0] does not start one
 * (overlong forms, surrogates and code points above U+10FFFF are not valid). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

static char *escape(const char *s, int controls)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc(4 * strlen(s) + 1); /* every byte at most 4 characters */
    if (!out) return NULL;
    size_t o = 0;
    while (*u) {
        size_t n = utf8_len(u);
        int control = n == 1 && (*u < 0x20 || *u == 0x7f);
        if (n == 0 || (controls && control)) {
            o += (size_t)sprintf(out + o, "\\x%02x", *u);
            u++;
            continue;
        }
        memcpy(out + o, u, n);
        o += n;
        u += n;
    }
    out[o] = '\0';
    return out;
}

char *ns_text_utf8(const char *s)
{
    return escape(s, 0);
}

char *ns_text_printable(const char *s)
{
    return escape(s, 1);
}

cJSON *ns_json_add_text(cJSON *object, const char *name, const char *value)
{
    char *safe = ns_text_utf8(value);
    cJSON *item = safe ? cJSON_AddStringToObject(object, name, safe) : NULL;
    free(safe);
    return item;
}
