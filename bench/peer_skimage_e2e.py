#!/usr/bin/python3
"""peer_skimage_e2e.py — the Python peer of `nucseg segment`, file to file.

What a lab would write with the same tools: a ProcessPoolExecutor with N workers; per image,
read it (skimage.io), segment it with the scikit-image pipeline that bench_segment compares
against (peer_skimage_segment.segment: Gaussian, Otsu, fill holes, EDT, peak_local_max,
watershed), then write what nucseg writes: the label image as a zlib-compressed TIFF
(tifffile), the regionprops_table of every nucleus as CSV (pandas), the centroids as .npy and
a metadata JSON. Outputs go to OUT/<stem>_*.

Timed as a whole process from outside (bench/e2e.sh), like nucseg: start-up, reading, writing
and the pool are part of what a user waits for. Run with /usr/bin/python3.
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import tifffile
from skimage import measure

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_skimage_segment import read_plane, segment  # noqa: E402

PROPS = ("label", "centroid", "area", "mean_intensity", "bbox", "major_axis_length",
         "minor_axis_length", "eccentricity", "orientation")


def process(path, out_dir):
    t0 = time.perf_counter()
    image = read_plane(path)
    labels = segment(image)
    t1 = time.perf_counter()
    stem = os.path.splitext(os.path.basename(path))[0]
    base = os.path.join(out_dir, stem)
    dtype = np.uint16 if labels.max() < 65536 else np.uint32
    tifffile.imwrite(base + "_labels.tif", labels.astype(dtype), compression="zlib")
    table = pd.DataFrame(measure.regionprops_table(labels, intensity_image=image, properties=PROPS))
    table.to_csv(base + "_nuclei.csv", index=False)
    np.save(base + "_nuclei_centroids_local.npy",
            table[["centroid-1", "centroid-0"]].to_numpy(dtype=np.float64))
    meta = {"source": path, "stem": stem, "width": int(image.shape[1]), "height": int(image.shape[0]),
            "pixel_type": str(image.dtype), "nuclei": int(len(table)),
            "timing_ms": {"read_segment": (t1 - t0) * 1e3, "write": (time.perf_counter() - t1) * 1e3}}
    with open(base + "_metadata.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    return len(table)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", help="a folder of images (searched recursively) or a file listing them")
    ap.add_argument("-o", "--out", required=True, help="output folder")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    args = ap.parse_args()
    if os.path.isdir(args.inputs):
        paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(args.inputs, followlinks=True) for f in fs
                       if f.lower().endswith((".tif", ".tiff", ".png")) and "_labels." not in f)
    else:
        with open(args.inputs, encoding="utf-8") as f:
            paths = [line.rstrip("\n") for line in f if line.strip()]
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        nuclei = list(pool.map(process, paths, [args.out] * len(paths), chunksize=1))
    print(f"peer_skimage_e2e: {len(paths)} images, {sum(nuclei)} nuclei, {args.jobs} worker(s), "
          f"{time.perf_counter() - t0:.2f} s in the pool", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
