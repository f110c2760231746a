#!/usr/bin/env python3
"""peer_triangle_hash.py — the reference 10X<->40X mapping method, re-implemented for a
timing comparison with `nucseg map` on the same centroid files: the Blainey lab's
OpticalPooledScreens triangle hashing (ops/triangle_hash.py), as its pipelines drive it:

  1. per tile: Delaunay triangulation of the centroids (scipy); for every inner triangle
     the "nine-edge hash" (the displacement vectors of its 3 edges and the 6 edges to the
     far vertices of its 3 neighbours, longest edge first), divided by its longest edge;
  2. brute force over every (10X tile, 40X site) pair of a well: nearest hash (cdist),
     triangles matched when closer than 0.3, RANSAC of a linear model 10X -> 40X on the
     matched triangle centres (3-point samples, residual threshold = median absolute
     deviation of the targets, 100 trials, as scikit-learn's RANSACRegressor defaults),
     score = share of 40X triangle centres within 2 px among those within 50 px;
  3. each site keeps its best-scoring tile; the fine step pairs nuclei within 2 px.

Written from the description of the method (numpy/scipy only); it is our code, not theirs.
usage: peer_triangle_hash.py SEG_DIR [SEG_DIR ...]  -> one line per plate: seconds, sites
"""
import glob
import json
import os
import sys
import time

import numpy as np
from scipy.spatial import Delaunay
from scipy.spatial.distance import cdist


def nine_edge_hashes(X):
    dt = Delaunay(X)
    vectors, centres = [], []
    for i, simplex in enumerate(dt.simplices):
        if (dt.neighbors[i] == -1).any():
            continue
        a, b, c = simplex
        P = X[[a, b, c, a]]
        start = int(np.argmax((np.diff(P, axis=0) ** 2).sum(axis=1)))
        order = [[0, 1, 2], [1, 2, 0], [2, 0, 1]][start]
        a, b, c = simplex[order]
        inner = {a, b, c}
        far = []
        for k in order:  # the neighbour opposite each vertex, in the same order
            others = [v for v in dt.simplices[dt.neighbors[i, k]] if v not in inner]
            if not others:
                break
            far.append(others[0])
        if len(far) != 3:
            continue
        bc, ac, ab = far
        seg = [(a, b), (b, c), (c, a), (a, ab), (b, ab), (b, bc), (c, bc), (c, ac), (a, ac)]
        v = np.array([X[q] - X[p] for p, q in seg])
        vectors.append(v.reshape(-1))
        centres.append(X[simplex].mean(axis=0))
    V = np.array(vectors).reshape(-1, 18)
    C = np.array(centres).reshape(-1, 2)
    mag = np.hypot(V[:, 0], V[:, 1])
    return V / mag[:, None], C


def ransac_linear(X, Y, rng, trials=100):
    """Linear model Y = X A + t, 3-point samples, MAD threshold (RANSACRegressor defaults)."""
    thr = np.median(np.abs(Y - np.median(Y, axis=0)))
    best, best_n = None, -1
    Xh = np.hstack([X, np.ones((len(X), 1))])
    for _ in range(trials):
        idx = rng.choice(len(X), 3, replace=False)
        M, *_ = np.linalg.lstsq(Xh[idx], Y[idx], rcond=None)
        res = np.abs(Xh @ M - Y).sum(axis=1)
        inl = res < thr
        if inl.sum() > best_n:
            best_n, best = inl.sum(), inl
    M, *_ = np.linalg.lstsq(Xh[best], Y[best], rcond=None)
    return M


def evaluate_match(h0, h1, rng, threshold_triangle=0.3, threshold_point=2):
    V0, c0 = h0
    V1, c1 = h1
    if len(V0) == 0 or len(V1) == 0:
        return None, -1
    D = cdist(V0, V1, metric="sqeuclidean")
    i1 = D.argmin(axis=1)
    dist = np.sqrt(D.min(axis=1))
    filt = dist < threshold_triangle
    if filt.sum() < 5:
        return None, -1
    M = ransac_linear(c0[filt], c1[i1[filt]], rng)
    pred = np.hstack([c0, np.ones((len(c0), 1))]) @ M
    d = np.sqrt(cdist(pred, c1, metric="sqeuclidean").min(axis=0))
    near = d < 50
    score = (d[near] < threshold_point).mean() if near.any() else 0
    return M, score


def load(seg, mag):
    tiles = {}
    for npy in sorted(glob.glob(os.path.join(seg, f"{mag}X", "*", "*_nuclei_centroids_local.npy"))):
        stem = os.path.basename(npy)[: -len("_nuclei_centroids_local.npy")]
        with open(npy[: -len("_nuclei_centroids_local.npy")] + "_metadata.json") as f:
            well = json.load(f)["well"]
        tiles[stem] = (well, np.load(npy))
    return tiles


def map_plate(seg, rng):
    t10, t40 = load(seg, 10), load(seg, 40)
    h10 = {s: nine_edge_hashes(xy) for s, (w, xy) in t10.items()}
    h40 = {s: nine_edge_hashes(xy) for s, (w, xy) in t40.items()}
    pairs = 0
    for site, (well, xy40) in t40.items():
        best = (None, -1, None)
        for tile, (w, xy10) in t10.items():
            if w != well:
                continue
            M, score = evaluate_match(h10[tile], h40[site], rng)
            if score > best[1]:
                best = (tile, score, M)
        tile, score, M = best
        if M is None:
            continue
        xy10 = t10[tile][1]
        pred = np.hstack([xy10, np.ones((len(xy10), 1))]) @ M  # 10X -> 40X
        d = cdist(xy40, pred, metric="sqeuclidean")
        pairs += int((np.sqrt(d.min(axis=1)) < 2).sum())
    return len(t40), pairs


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    for seg in sys.argv[1:]:
        t0 = time.perf_counter()
        sites, pairs = map_plate(seg, rng)
        print(f"{seg} peer_triangle_hash {time.perf_counter() - t0:.3f} s {sites} sites {pairs} nucleus pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
