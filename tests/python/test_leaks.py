"""No memory kept across 10,000 calls of each function, on success and on error paths:
the process's resident memory after them stays within a bound far below what a leak of
one result (or one input reference) per call would add. Not timing based."""
import numpy as np
import pytest

import nucseg

CALLS = 10_000
BOUND = 4 << 20  # bytes; a leaked 64x64 label image per call alone would be 80 MB


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def grows(fn, calls=CALLS):
    for _ in range(500):  # allocator pools and caches reach their steady state
        fn()
    before = rss()
    for _ in range(calls):
        fn()
    return rss() - before


@pytest.fixture(scope="module")
def small(dsb_images, tmp_path_factory):
    im = nucseg.read_image(dsb_images[0])[:64, :64].copy()
    path = tmp_path_factory.mktemp("leak") / "small.tif"
    import tifffile
    tifffile.imwrite(str(path), im)
    return im, str(path)


def expect_error(fn, exc):
    def call():
        with pytest.raises(exc):
            fn()
    return call


def test_no_leak(small):
    im, path = small
    labels = nucseg.segment(im, diameter=10)
    assert labels.max() > 0
    rng = np.random.default_rng(1)
    xy10 = rng.uniform(0, 200, size=(60, 2))
    t = np.array([[0.25, 0.0, 50.0], [0.0, 0.25, 50.0]])
    xy40 = (xy10[:20] - 50) * 4
    strided = np.stack([im, im], axis=-1)
    cases = {
        "segment": lambda: nucseg.segment(im, diameter=10),
        "segment (copied plane)": lambda: nucseg.segment(strided, diameter=10, channel=1, channel_axis=-1),
        "regionprops": lambda: nucseg.regionprops(labels, im),
        "read_image": lambda: nucseg.read_image(path),
        "match": lambda: nucseg.match(xy40, xy10, t),
        "fit_affine": lambda: nucseg.fit_affine(xy40, xy10[:20], "lm"),
        "map_tiles": lambda: nucseg.map_tiles(xy40, [xy10, xy10], max_hypotheses=200),
        "segment TypeError": expect_error(lambda: nucseg.segment(im.astype(np.float64)), TypeError),
        "regionprops ValueError": expect_error(lambda: nucseg.regionprops(labels, im[:10]), ValueError),
        "read_image OSError": expect_error(lambda: nucseg.read_image(path + ".missing"), OSError),
        "fit_affine ValueError": expect_error(lambda: nucseg.fit_affine(xy40[:2], xy40[:2]), ValueError),
    }
    grown = {name: grows(fn) for name, fn in cases.items()}
    assert all(g < BOUND for g in grown.values()), grown
