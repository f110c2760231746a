/* vec8.h — 8 floats as one value (GCC/Clang vector extension: an AVX register where the
 * CPU has them, two SSE ones elsewhere), for nucseg's own loops in the network
 * (forward.c's full-resolution tail, softmax8.h). Loads and stores go through
 * memcpy: any alignment. */
#ifndef NUCSEG_NN_VEC8_H
#define NUCSEG_NN_VEC8_H

#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int vi8 __attribute__((vector_size(32)));

static inline v8 load8(const float *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

#endif
