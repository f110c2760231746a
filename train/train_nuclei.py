#!/usr/bin/python3
"""Train nucseg's nuclei network on DSB2018 images, on the CPU, reproducibly from a seed.

    /usr/bin/python3 train/train_nuclei.py --data ../shared/data/dsb2018-train --out models/

reads <id>.png / <id>_labels.png pairs (8- or 16-bit gray images, 16-bit instance labels),
holds out every 10th image (sorted by name) to pick the checkpoint, and writes
  OUT/nuclei.nsnn             the weights (format: train/nuclei_net.py, export_bytes)
  OUT/nuclei-training.json    the settings, the seed, the loss curve and the held-out scores
and, with --reference DIR, the reference outputs the C test compares against (reference.py).
Never give it tests/data/dsb2018-dev: that set is kept for validation.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nuclei_net  # noqa: E402
import instance_proxy  # noqa: E402


def read_gray(path):
    a = np.array(Image.open(path))
    if a.ndim == 3:  # an RGB(A) export of a gray image: take the first channel
        a = a[..., 0]
    return a


def load_pairs(folder):
    ids = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".png") and not f.endswith("_labels.png"))
    if not ids:
        raise SystemExit(f"{folder}: no <id>.png images found")
    pairs = []
    for i in ids:
        img = read_gray(os.path.join(folder, i + ".png"))
        lab = np.array(Image.open(os.path.join(folder, i + "_labels.png"))).astype(np.int32)
        pairs.append((i, nuclei_net.normalise(img), lab, img))
    return pairs


BOUNDARY_PX = 1


def class_targets(lab):
    """0 background, 1 interior, 2 boundary: a nucleus pixel with another value within
    BOUNDARY_PX (in the max norm): a ring BOUNDARY_PX wide inside every nucleus."""
    r = BOUNDARY_PX
    t = torch.from_numpy(lab.astype(np.float32))[None, None]
    mx = F.max_pool2d(F.pad(t, (r, r, r, r), mode="replicate"), 2 * r + 1, stride=1)
    mn = -F.max_pool2d(F.pad(-t, (r, r, r, r), mode="replicate"), 2 * r + 1, stride=1)
    edge = ((mx != t) | (mn != t)) & (t > 0)
    out = (t > 0).long()
    out[edge] = 2
    return out[0, 0]


def sample(pair, crop, rng):
    """One augmented crop: scale, flips, rot90, gain and offset, noise. Returns (x, y) tensors."""
    _, x, lab, _ = pair
    s = float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
    h, w = x.shape
    nh, nw = max(8, int(round(h * s))), max(8, int(round(w * s)))
    xt = torch.from_numpy(x)[None, None]
    lt = torch.from_numpy(lab.astype(np.float32))[None, None]
    # Crop a window of the scaled size first (cheap), then resize that window only.
    src = int(np.ceil(crop / s)) + 2
    y0 = rng.integers(0, max(1, h - src + 1))
    x0 = rng.integers(0, max(1, w - src + 1))
    xt = xt[..., y0:y0 + src, x0:x0 + src]
    lt = lt[..., y0:y0 + src, x0:x0 + src]
    sh, sw = max(1, int(round(xt.shape[-2] * s))), max(1, int(round(xt.shape[-1] * s)))
    del nh, nw
    xt = F.interpolate(xt, size=(sh, sw), mode="bilinear", align_corners=False)
    lt = F.interpolate(lt, size=(sh, sw), mode="nearest")
    xc = torch.zeros(1, 1, crop, crop)
    lc = torch.zeros(1, 1, crop, crop)
    hh, ww = min(crop, sh), min(crop, sw)
    xc[..., :hh, :ww] = xt[..., :hh, :ww]
    lc[..., :hh, :ww] = lt[..., :hh, :ww]
    y = class_targets(lc[0, 0].numpy().astype(np.int32))
    xc = xc[0, 0]
    k = int(rng.integers(0, 4))
    xc, y = torch.rot90(xc, k), torch.rot90(y, k)
    if rng.random() < 0.5:
        xc, y = torch.flip(xc, (1,)), torch.flip(y, (1,))
    gain = float(np.exp(rng.uniform(np.log(0.6), np.log(1.5))))
    offset = float(rng.uniform(-0.05, 0.05))
    noise = float(rng.uniform(0, 0.03))
    xc = xc * gain + offset + noise * torch.from_numpy(rng.standard_normal(xc.shape).astype(np.float32))
    return xc[None], y


def evaluate(net, pairs):
    """Held-out F1@0.5 and DSB score with the Python proxy of nucseg's instance step."""
    net.eval()
    f1s, dsbs = [], []
    for _, _, lab, img in pairs:
        probs = nuclei_net.predict_probs(net, img)
        pred = instance_proxy.instances(probs)
        f1, dsb = instance_proxy.score(lab, pred)
        f1s.append(f1)
        dsbs.append(dsb)
    net.train()
    return float(np.mean(f1s)), float(np.mean(dsbs))


def write_outputs(out, net, log):
    with open(os.path.join(out, "nuclei.nsnn"), "wb") as f:
        f.write(nuclei_net.export_bytes(net))
    with open(os.path.join(out, "nuclei-training.json"), "w") as f:
        json.dump(log, f, indent=1)
    torch.save(net.state_dict(), os.path.join(out, "nuclei-state.pt"))


def rescore(args, widths, held):
    """The checkpoints of a finished run, scored again; the best written as training would."""
    with open(os.path.join(args.out, "nuclei-training.json")) as f:
        log = json.load(f)
    best = (-1.0, None)
    for entry in log["curve"]:
        net = nuclei_net.NucleiNet(widths)
        net.load_state_dict(torch.load(os.path.join(args.out, f"checkpoint-{entry['step']}.pt")))
        entry["held_f1"], entry["held_dsb"] = evaluate(net, held)
        print(json.dumps(entry), flush=True)
        if entry["held_f1"] + entry["held_dsb"] > best[0]:
            best = (entry["held_f1"] + entry["held_dsb"], entry["step"])
    net.load_state_dict(torch.load(os.path.join(args.out, f"checkpoint-{best[1]}.pt")))
    net.eval()
    log["chosen_step"] = best[1]
    write_outputs(args.out, net, log)
    print(f"wrote {args.out}/nuclei.nsnn (step {best[1]})", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/dsb2018-train")
    ap.add_argument("--out", default="models")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=7000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=192)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (results depend slightly on it)")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--widths", default="12,24,48,64")
    ap.add_argument("--boundary", type=int, default=1, help="width in px of the boundary class's ring")
    ap.add_argument("--rescore", action="store_true",
                    help="no training: score the checkpoints OUT holds again (after a change to the instance "
                         "step) and write the best as OUT/nuclei.nsnn")
    args = ap.parse_args()
    if "dsb2018-dev" in os.path.abspath(args.data):
        raise SystemExit(f"{args.data}: dsb2018-dev is the validation set; train on dsb2018-train")

    global BOUNDARY_PX
    BOUNDARY_PX = args.boundary
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    pairs = load_pairs(args.data)
    held = pairs[::10]
    train = [p for i, p in enumerate(pairs) if i % 10 != 0]
    # Large images hold more nuclei: draw them in proportion to their area (square-rooted).
    weight = np.array([np.sqrt(p[1].size) for p in train])
    weight /= weight.sum()

    widths = tuple(int(v) for v in args.widths.split(","))
    if args.rescore:
        return rescore(args, widths, held)
    # Channels-last: PyTorch's CPU convolutions with these few channels run 3x faster so.
    net = nuclei_net.NucleiNet(widths).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    class_weight = torch.tensor([1.0, 1.0, 3.0])
    os.makedirs(args.out, exist_ok=True)
    log = {"args": vars(args), "n_train": len(train), "n_held_out": len(held), "curve": []}
    best = (-1.0, None, None)
    t0 = time.time()
    running = 0.0
    for step in range(1, args.steps + 1):
        idx = rng.choice(len(train), size=args.batch, p=weight)
        xs, ys = zip(*(sample(train[i], args.crop, rng) for i in idx))
        x, y = torch.stack(xs).contiguous(memory_format=torch.channels_last), torch.stack(ys)
        loss = F.cross_entropy(net(x), y, weight=class_weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running += float(loss)
        if step % args.eval_every == 0 or step == args.steps:
            f1, dsb = evaluate(net, held)
            entry = {"step": step, "loss": running / args.eval_every, "held_f1": f1, "held_dsb": dsb,
                     "seconds": round(time.time() - t0, 1)}
            running = 0.0
            log["curve"].append(entry)
            print(json.dumps(entry), flush=True)
            torch.save(net.state_dict(), os.path.join(args.out, f"checkpoint-{step}.pt"))
            if f1 + dsb > best[0]:
                best = (f1 + dsb, step, {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[2])
    net.eval()
    log["chosen_step"] = best[1]
    write_outputs(args.out, net, log)
    print(f"wrote {args.out}/nuclei.nsnn (step {best[1]}), {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
