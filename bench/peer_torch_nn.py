#!/usr/bin/python3
"""The Python peer of bench_nn: the same network (train/nuclei_net.py, FoldedNet: the
weight file's own float32 numbers) run by PyTorch on one thread, on the same images:
every 256x256 image of DATA (median of REPEATS each, median over images) and one
2048x2048 image of 8 x 8 mirrored copies of the first. Timed: normalisation, padding,
network and softmax (predict_probs), as bench_nn times ns_nn_predict.

    /usr/bin/python3 bench/peer_torch_nn.py WEIGHTS DATA OUT_CSV [REPEATS]

Writes OUT_CSV: case,width,height,images,repeats,ms_median,ns_per_pixel."""
import os
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import nuclei_net  # noqa: E402


def median_ms(model, img, repeats):
    nuclei_net.predict_probs(model, img)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        nuclei_net.predict_probs(model, img)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    weights, data, out_csv = sys.argv[1:4]
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.set_num_threads(1)
    with open(weights, "rb") as f:
        model = nuclei_net.FoldedNet(f.read()).eval()
    small = []
    for name in sorted(os.listdir(data)):
        if not name.endswith(".png") or "_labels" in name:
            continue
        img = np.array(Image.open(os.path.join(data, name)))
        if img.ndim == 3:
            img = img[..., 0]
        if img.shape == (256, 256):
            small.append(img)
    if not small:
        sys.exit(f"{data}: no 256x256 images")
    ms_small = statistics.median(median_ms(model, img, repeats) for img in small)
    tile = small[0]
    row = np.concatenate([tile if i % 2 == 0 else tile[:, ::-1] for i in range(8)], axis=1)
    big = np.ascontiguousarray(np.concatenate([row if i % 2 == 0 else row[::-1] for i in range(8)], axis=0))
    ms_big = median_ms(model, big, max(3, repeats // 2))
    with open(out_csv, "w") as f:
        f.write("case,width,height,images,repeats,ms_median,ns_per_pixel\n")
        f.write(f"256,256,256,{len(small)},{repeats},{ms_small:.4f},{ms_small * 1e6 / 65536:.3f}\n")
        f.write(f"2048,2048,2048,1,{max(3, repeats // 2)},{ms_big:.4f},{ms_big * 1e6 / 2048 ** 2:.3f}\n")
    print(f"PyTorch, one thread: {ms_small:.2f} ms per 256x256 ({len(small)} images), {ms_big:.1f} ms per 2048x2048")


if __name__ == "__main__":
    main()
