#!/usr/bin/python3
"""Scores of the instance step's thresholds on the held-out training images (every 10th,
as train_nuclei.py holds out), for a weight file: how learned.c's constants were chosen.

    /usr/bin/python3 train/tune_instances.py models/nuclei.nsnn --data ../shared/data/dsb2018-train
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import instance_proxy  # noqa: E402
import nuclei_net  # noqa: E402
import train_nuclei  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--data", default="../shared/data/dsb2018-train")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(args.weights, "rb") as f:
        model = nuclei_net.FoldedNet(f.read())
    held = train_nuclei.load_pairs(args.data)[::10]
    probs = [nuclei_net.predict_probs(model, img) for _, _, _, img in held]
    for seed in (0.6, 0.7, 0.8, 0.9):
        for fg in (0.1, 0.2, 0.3, 0.4):
            s = [instance_proxy.score(lab, instance_proxy.instances(p, seed, fg)) for p, (_, _, lab, _) in zip(probs, held)]
            f1, dsb = np.mean(s, axis=0)
            print(f"seed P(interior) > {seed:.1f}, foreground P(background) < {fg:.1f}: F1 {f1:.4f}  DSB {dsb:.4f}")


if __name__ == "__main__":
    main()
