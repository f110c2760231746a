/* eval.h — scoring instance segmentations against ground truth, as DSB2018 does.
 * A predicted object matches a true one when IoU > t; F1 at t = 0.5, and the
 * DSB2018 score = mean over t in 0.50, 0.55, …, 0.95 of TP / (TP + FP + FN). */
#ifndef NUCSEG_EVAL_H
#define NUCSEG_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"

typedef struct {
    size_t n_true, n_pred;
    size_t tp50, fp50, fn50;
    double precision50, recall50, f1_50;
    double dsb_score;
} ns_eval_result;

/* Label values may reach 4 × pixels + 65536: scoring keeps a table indexed by label,
 * so a larger value (a non-label image) is refused instead of allocated for.
 * NS_ERR_UNSUPPORTED, with the largest value and the limit, when lab exceeds it;
 * the message does not name the file (the caller adds it). */
ns_status ns_eval_check_labels(const uint32_t *lab, int width, int height, ns_error *err);

/* truth and pred: w*h label images (0 = background). Labels need not be consecutive.
 * Fails as ns_eval_check_labels on either image ("ground truth"/"prediction" say which). */
ns_status ns_eval_labels(const uint32_t *truth, const uint32_t *pred, int width, int height,
                         ns_eval_result *out, ns_error *err);

#endif
