/* fixed_decimal.h — printf("%.*f") for the tables nucseg writes, without printf.
 *
 * A 10X field's nucleus table has ~2,000 rows of 8 decimals: through fprintf that was
 * about a sixth of the time per image. The digits are exactly printf's (the binary
 * value rounded to the nearest, ties to even), checked against snprintf in the tests. */
#ifndef NUCSEG_UTIL_FIXED_DECIMAL_H
#define NUCSEG_UTIL_FIXED_DECIMAL_H

#include <stddef.h>

/* Room ns_format_fixed may need, the terminating NUL included (printf's own width
 * for a double of any size, which takes the snprintf path). */
#define NS_FIXED_MAX 330

/* What snprintf(out, NS_FIXED_MAX, "%.*f", decimals, v) writes (0 <= decimals <= 9);
 * returns its length. */
size_t ns_format_fixed(char *out, double v, int decimals);

#endif
