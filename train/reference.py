#!/usr/bin/python3
"""Reference outputs for the C inference test (tests/unit/test_nn_reference.c).

    /usr/bin/python3 train/reference.py models/nuclei.nsnn tests/data/nn

For each image below (crops of dsb2018-dev images, chosen for odd sizes so that the
padding to multiples of 16 is exercised), writes <name>.png (the input, 8-bit gray) and
<name>.probs: "NSPROBS1", u32 classes, u32 height, u32 width, then float32 class
probabilities [class][y][x], computed by PyTorch from the weight file's own float32
numbers (FoldedNet), in double precision so that the reference itself carries no
float32 rounding."""
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nuclei_net  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "..", "tests", "data", "dsb2018-dev")
# (name, dev image id, y0, x0, height, width)
CROPS = [
    ("ref_small", None, 0, 0, 75, 101),
    ("ref_odd", None, 40, 24, 200, 152),
]


def main():
    weights, outdir = sys.argv[1], sys.argv[2]
    with open(weights, "rb") as f:
        model = nuclei_net.FoldedNet(f.read()).double()
    model.params = {k: (w.double(), b.double()) for k, (w, b) in model.params.items()}
    os.makedirs(outdir, exist_ok=True)
    ids = sorted(f[:-4] for f in os.listdir(DEV) if f.endswith(".png") and not f.endswith("_labels.png"))
    for n, (name, img_id, y0, x0, h, w) in enumerate(CROPS):
        img_id = img_id or ids[n * 7]
        img = np.array(Image.open(os.path.join(DEV, img_id + ".png")))
        if img.ndim == 3:
            img = img[..., 0]
        crop = np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w])
        Image.fromarray(crop).save(os.path.join(outdir, name + ".png"))
        x = nuclei_net.pad16(nuclei_net.normalise(crop)).astype(np.float64)
        with torch.no_grad():
            logits = model(torch.from_numpy(x)[None, None])
            probs = torch.softmax(logits, dim=1)[0, :, :crop.shape[0], :crop.shape[1]].numpy()
        with open(os.path.join(outdir, name + ".probs"), "wb") as f:
            f.write(b"NSPROBS1" + struct.pack("<3I", *probs.shape))
            f.write(probs.astype("<f4").tobytes())
        print(f"{name}: {img_id}[{y0}:{y0 + h}, {x0}:{x0 + w}] -> {outdir}/{name}.probs")


if __name__ == "__main__":
    main()
