#!/usr/bin/python3
"""peer_skimage_segment.py — the scikit-image peer that `bench_segment` compares nucseg against.

The pipeline is the reference one of the test-data README (scikit-image 0.19 row):
Gaussian sigma=1, Otsu threshold, fill holes, Euclidean distance transform,
peak_local_max(min_distance=5) seeds, watershed. Default settings, no per-image tuning.

All images are read first; only the pipeline is timed (time.perf_counter), R times per
image, and the median (or min) per image is written as CSV: file,width,height,ms,nuclei.
Run with /usr/bin/python3 (the interpreter that has numpy, scipy and scikit-image).

Optionally (--score) each result is scored against "<stem>_labels.png" next to the image
the way the README describes (F1 at IoU 0.5, DSB2018 mean over IoU 0.50..0.95); the scores
are written to a second CSV. Scoring is never inside the timing.
"""
import argparse
import csv
import os
import statistics
import sys
import time

import numpy as np
from scipy import ndimage as ndi
from skimage import feature, filters, io, segmentation


def segment(image):
    """The peer pipeline; returns the label image (0 = background, 1..N)."""
    smooth = filters.gaussian(image, sigma=1)
    mask = smooth > filters.threshold_otsu(smooth)
    mask = ndi.binary_fill_holes(mask)
    distance = ndi.distance_transform_edt(mask)
    # One component label per connected object so every object can hold a seed.
    components, _ = ndi.label(mask)
    peaks = feature.peak_local_max(distance, min_distance=5, labels=components)
    markers = np.zeros(mask.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1, dtype=np.int32)
    return segmentation.watershed(-distance, markers, mask=mask)


def read_plane(path):
    """One 2-D plane, like ns_image_read(path, channel 0): first sample of RGB(A)."""
    image = io.imread(path)
    if image.ndim == 3:
        image = image[..., 0] if image.shape[-1] in (3, 4) else image[0]
    if image.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D image, got shape {image.shape}")
    return image


def match_scores(pred, truth):
    """F1 at IoU 0.5 and the DSB2018 score (mean over IoU 0.50..0.95 of TP/(TP+FP+FN))."""
    n_pred = int(pred.max())
    n_true = int(truth.max())
    if n_pred == 0 and n_true == 0:
        return 1.0, 1.0
    # Contingency table of overlaps between every true and predicted label.
    pairs = truth.astype(np.int64) * (n_pred + 1) + pred.astype(np.int64)
    inter = np.bincount(pairs.ravel(), minlength=(n_true + 1) * (n_pred + 1))
    inter = inter.reshape(n_true + 1, n_pred + 1)
    area_true = inter.sum(axis=1)
    area_pred = inter.sum(axis=0)
    inter = inter[1:, 1:]
    union = area_true[1:, None] + area_pred[None, 1:] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    f1 = None
    dsb = []
    for t in np.arange(0.5, 1.0, 0.05):
        # IoU > 0.5 makes matches one-to-one, so counting pairs above t is exact.
        tp = int((iou > t).sum())
        fp = n_pred - tp
        fn = n_true - tp
        if f1 is None:
            f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0
        dsb.append(tp / (tp + fp + fn) if (tp + fp + fn) else 1.0)
    return f1, float(np.mean(dsb))


def ground_truth_path(path, suffix):
    stem, _ = os.path.splitext(path)
    return stem + suffix + ".png"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images", nargs="*", help="image files (TIFF or PNG)")
    ap.add_argument("--list", help="file with one image path per line (added to the arguments)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per image (default 5)")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="per-image statistic over the repeats (default median)")
    ap.add_argument("--out", required=True, help="CSV to write: file,width,height,ms,nuclei")
    ap.add_argument("--score", metavar="CSV",
                    help="also score against <stem>_labels.png and write file,f1_iou50,dsb_score")
    ap.add_argument("--gt-suffix", default="_labels", help="ground-truth name suffix (default _labels)")
    args = ap.parse_args()

    paths = list(args.images)
    if args.list:
        with open(args.list, encoding="utf-8") as f:
            paths += [line.rstrip("\n") for line in f if line.strip()]
    if not paths:
        ap.error("no images given")
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    # Read everything first: file decoding is not part of what is compared.
    images = [read_plane(p) for p in paths]

    pick = statistics.median if args.stat == "median" else min
    rows = []
    last_labels = []
    for path, image in zip(paths, images):
        times = []
        labels = None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            labels = segment(image)
            times.append((time.perf_counter() - t0) * 1000.0)
        rows.append((path, image.shape[1], image.shape[0], pick(times), int(labels.max())))
        last_labels.append(labels if args.score else None)

    tmp = args.out + ".tmp.%d" % os.getpid()
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("file", "width", "height", "ms", "nuclei"))
        for path, width, height, ms, nuclei in rows:
            w.writerow((path, width, height, "%.4f" % ms, nuclei))
    os.replace(tmp, args.out)

    if args.score:
        tmp = args.score + ".tmp.%d" % os.getpid()
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(("file", "f1_iou50", "dsb_score"))
            for path, labels in zip(paths, last_labels):
                gt = ground_truth_path(path, args.gt_suffix)
                if not os.path.exists(gt):
                    continue
                f1, dsb = match_scores(labels, read_plane(gt))
                w.writerow((path, "%.6f" % f1, "%.6f" % dsb))
        os.replace(tmp, args.score)

    total_ms = sum(r[3] for r in rows)
    print(f"peer_skimage_segment: {len(rows)} images, {total_ms:.1f} ms total "
          f"({args.stat} of {args.repeats}), {sum(r[4] for r in rows)} nuclei", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
