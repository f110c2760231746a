"""A Python stand-in for nucseg's instance step (src/segment/learned_instances.c), used
only to pick the checkpoint while training, and the DSB2018 scoring of nucseg eval."""
import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import watershed


EIGHT = np.ones((3, 3), bool)


# learned.c's constants (chosen with train/tune_instances.py on the held-out images).
SEED_MIN_INTERIOR = 0.7
FG_MAX_BACKGROUND = 0.2


def instances(probs, seed_threshold=SEED_MIN_INTERIOR, fg_max_background=FG_MAX_BACKGROUND, min_seed=3,
              min_area=20):
    bg, interior = probs[0], probs[1]
    mask = bg < fg_max_background
    seeds, n = ndi.label((interior > seed_threshold) & mask, structure=EIGHT)
    if n:
        sizes = np.bincount(seeds.ravel())
        small = sizes < min_seed
        small[0] = False
        seeds[small[seeds]] = 0
    lab = watershed(1.0 - interior, seeds, mask=mask)
    comp, nc = ndi.label(mask, structure=EIGHT)
    if nc:  # components without a seed are nuclei of their own
        seeded = np.zeros(nc + 1, bool)
        seeded[comp[lab > 0]] = True
        lone = (comp > 0) & ~seeded[comp]
        lab[lone] = lab.max() + comp[lone]
    sizes = np.bincount(lab.ravel())
    small = sizes < min_area
    small[0] = False
    lab[small[lab]] = 0
    return lab


def score(truth, pred):
    """(F1 at IoU 0.5, DSB2018 score) of one image."""
    t_ids, t_inv = np.unique(truth, return_inverse=True)
    p_ids, p_inv = np.unique(pred, return_inverse=True)
    nt, npd = len(t_ids), len(p_ids)
    inter = np.bincount(t_inv * npd + p_inv, minlength=nt * npd).reshape(nt, npd)
    area_t = inter.sum(1, keepdims=True)
    area_p = inter.sum(0, keepdims=True)
    iou = inter / np.maximum(area_t + area_p - inter, 1)
    tz = t_ids != 0
    pz = p_ids != 0
    iou = iou[tz][:, pz]
    n_true, n_pred = int(tz.sum()), int(pz.sum())
    if n_true == 0 and n_pred == 0:
        return 1.0, 1.0
    dsb = []
    f1 = 0.0
    for thr in np.arange(0.5, 1.0, 0.05):
        tp = int((iou > thr).sum())  # IoU > 0.5 matches are unique
        fp, fn = n_pred - tp, n_true - tp
        dsb.append(tp / max(tp + fp + fn, 1))
        if abs(thr - 0.5) < 1e-9:
            f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    return f1, float(np.mean(dsb))
