"""nucseg.map_tiles, nucseg.match, nucseg.fit_affine on centroid arrays with a known truth."""
import numpy as np
import pytest

import nucseg


def apply(t, xy):
    return xy @ t[:, :2].T + t[:, 2]


def make_pair(seed=3):
    """10X centroids over a 1000 px tile; a 40X tile of one 250 px square of it, at 4x,
    rotated by 0.05 rad, with 0.3 px of noise; the true 40X -> 10X affine."""
    rng = np.random.default_rng(seed)
    xy10 = rng.uniform(0, 1000, size=(1500, 2))
    s, th, t0 = 0.25, 0.05, np.array([400.0, 300.0])
    truth = np.array([[s * np.cos(th), -s * np.sin(th), t0[0]], [s * np.sin(th), s * np.cos(th), t0[1]]])
    inv = np.linalg.inv(np.vstack([truth, [0, 0, 1]]))[:2]
    xy40 = apply(inv, xy10)
    inside = np.all((xy40 >= 0) & (xy40 < 1000), axis=1)
    order = np.flatnonzero(inside)
    xy40 = xy40[order] + rng.normal(0, 0.3 * 4, size=(len(order), 2)) * 0.25
    return xy10, xy40, order, truth


def corner_error(a, b, w=1000, h=1000):
    c = np.array([[0, 0], [w, 0], [0, h], [w, h]], float)
    return np.abs(apply(a, c) - apply(b, c)).max()


def test_map_tiles_finds_the_tile_and_transform():
    xy10, xy40, order, truth = make_pair()
    decoy = np.random.default_rng(9).uniform(0, 1000, size=(1500, 2))
    r = nucseg.map_tiles(xy40, [decoy, xy10])
    assert r["mapped"] and r["tile"] == 1
    assert corner_error(r["affine"], truth) < 1.0
    m = r["matches"]
    assert r["inliers"] == len(m["label_40x"]) > 0.9 * len(xy40)
    # label i + 1 is row i: each 40X nucleus matched to the 10X point it came from
    assert np.mean(order[m["label_40x"] - 1] == m["label_10x"] - 1) > 0.99
    single = nucseg.map_tiles(xy40, xy10)  # one array is one candidate
    assert single["mapped"] and single["tile"] == 0
    np.testing.assert_allclose(single["affine"], r["affine"], atol=1e-9)
    unmapped = nucseg.map_tiles(xy40, decoy)
    assert not unmapped["mapped"]
    # options reach the library: an unreachable score leaves the tile unmapped, a bad one is refused
    assert not nucseg.map_tiles(xy40, xy10, min_score=1.0, tolerance=0.01)["mapped"]
    with pytest.raises(ValueError, match="tolerance"):
        nucseg.map_tiles(xy40, xy10, tolerance=-1)


def test_match_pairs_under_a_known_transform():
    xy10, xy40, order, truth = make_pair()
    m = nucseg.match(xy40, xy10, truth)
    assert list(m) == ["label_40x", "label_10x", "x_40x", "y_40x", "x_10x", "y_10x", "distance"]
    assert len(m["label_40x"]) > 0.95 * len(xy40)
    np.testing.assert_array_equal(order[m["label_40x"] - 1], m["label_10x"] - 1)
    np.testing.assert_allclose(np.c_[m["x_40x"], m["y_40x"]], xy40[m["label_40x"] - 1])
    d = np.hypot(*(apply(truth, xy40[m["label_40x"] - 1]) - xy10[m["label_10x"] - 1]).T)
    np.testing.assert_allclose(m["distance"], d, atol=1e-9)
    assert len(nucseg.match(xy40, xy10, truth, tolerance=1e-6)["distance"]) == 0
    with pytest.raises(ValueError, match="tolerance"):
        nucseg.match(xy40, xy10, truth, tolerance=0)
    with pytest.raises(ValueError, match="not finite"):
        nucseg.match(np.array([[np.nan, 1.0]]), xy10, truth)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        nucseg.match(xy40, xy10, np.eye(3))


@pytest.mark.parametrize("method", ["closed", "lm", "lbfgsb"])
def test_fit_affine_recovers_a_transform(method):
    rng = np.random.default_rng(5)
    src = rng.uniform(0, 2000, size=(200, 2))
    t = np.array([[0.249, -0.012, 150.0], [0.011, 0.251, 75.0]])
    dst = apply(t, src) + rng.normal(0, 0.2, size=src.shape)
    start = np.array([[0.25, 0, 140], [0, 0.25, 70]], float)
    r = nucseg.fit_affine(src, dst, method, init=start)
    closed = nucseg.fit_affine(src, dst, "closed")
    assert set(r) == {"affine", "rmsd", "iterations", "nfev", "njev", "converged"}
    assert r["affine"].shape == (2, 3)
    assert corner_error(r["affine"], t, 2000, 2000) < 0.2
    np.testing.assert_allclose(r["rmsd"], closed["rmsd"], rtol=1e-4)
    assert 0.15 < r["rmsd"] < 0.35


def test_fit_affine_errors():
    src = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], float)
    with pytest.raises(ValueError):
        nucseg.fit_affine(src, src, "closed")          # collinear
    with pytest.raises(ValueError):
        nucseg.fit_affine(src[:2], src[:2], "lm")      # too few
    with pytest.raises(ValueError, match="4 points but dst 3"):
        nucseg.fit_affine(src, src[:3])
    with pytest.raises(ValueError, match="method"):
        nucseg.fit_affine(src, src, "newton")
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        nucseg.fit_affine(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="xy_40x"):
        nucseg.map_tiles(np.zeros((2, 2)), np.zeros((5, 2)))
