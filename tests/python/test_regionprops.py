"""nucseg.regionprops: the CLI's nuclei CSV, and scikit-image's regionprops on the same labels."""
import math

import numpy as np
import pandas as pd
import pytest
import skimage.measure

import nucseg
from conftest import run_cli_segment

CSV_COLUMNS = ["label", "centroid_x", "centroid_y", "area", "mean_intensity", "bbox_x0", "bbox_y0", "bbox_x1",
               "bbox_y1", "major_axis_length", "minor_axis_length", "eccentricity", "orientation"]


def axis_difference(a, b):
    """a - b for undirected axis angles: wrapped to [-pi/2, pi/2)."""
    return (np.asarray(a) - np.asarray(b) + math.pi / 2) % math.pi - math.pi / 2


@pytest.fixture(scope="module")
def segmented(dsb_images):
    out = []
    for p in dsb_images:
        im = nucseg.read_image(p)
        out.append((p, im, nucseg.segment(im)))
    return out


def test_same_table_as_cli_csv(tmp_path, nucseg_bin, dsb_images):
    for i, path in enumerate(dsb_images):
        _, csv = run_cli_segment(nucseg_bin, path, str(tmp_path / str(i)), "--magnification", "auto")
        cli = pd.read_csv(csv)
        im = nucseg.read_image(path)
        mine = pd.DataFrame(nucseg.regionprops(nucseg.segment(im), im))
        # The CLI's table adds where the nuclei come from (the file name's plate, well, tile).
        assert list(mine.columns) == CSV_COLUMNS and list(cli.columns) == CSV_COLUMNS + ["plate", "well", "tile"]
        assert len(mine) == len(cli) > 0
        for c in CSV_COLUMNS:  # the CSV rounds to 3 or 4 decimals
            np.testing.assert_allclose(mine[c], cli[c], rtol=0, atol=6e-4 if c != "orientation" else 6e-5,
                                       err_msg=c)


def skimage_table(labels, image):
    props = ("label", "centroid", "area", "bbox", "axis_major_length", "axis_minor_length", "eccentricity",
             "orientation") + (("intensity_mean",) if image is not None else ())
    return skimage.measure.regionprops_table(labels.astype(np.int64), intensity_image=image, properties=props)


def test_matches_skimage(segmented):
    for _, im, labels in segmented:
        mine = nucseg.regionprops(labels, im)
        sk = skimage_table(labels, im)
        np.testing.assert_array_equal(mine["label"], sk["label"])
        np.testing.assert_allclose(mine["centroid_y"], sk["centroid-0"], atol=1e-9)
        np.testing.assert_allclose(mine["centroid_x"], sk["centroid-1"], atol=1e-9)
        np.testing.assert_array_equal(mine["area"], sk["area"])
        np.testing.assert_array_equal(mine["bbox_y0"], sk["bbox-0"])
        np.testing.assert_array_equal(mine["bbox_x0"], sk["bbox-1"])
        np.testing.assert_array_equal(mine["bbox_y1"], sk["bbox-2"])
        np.testing.assert_array_equal(mine["bbox_x1"], sk["bbox-3"])
        np.testing.assert_allclose(mine["major_axis_length"], sk["axis_major_length"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(mine["minor_axis_length"], sk["axis_minor_length"], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(mine["eccentricity"], sk["eccentricity"], atol=1e-6)
        np.testing.assert_allclose(mine["mean_intensity"], sk["intensity_mean"], rtol=1e-12)


def elongated(mine):
    """Nuclei whose major axis is well defined (a disc has no orientation)."""
    return mine["eccentricity"] > 0.3


def test_orientation_is_skimage_convention(segmented):
    for _, im, labels in segmented:
        mine = nucseg.regionprops(labels, im)
        sk = skimage_table(labels, im)
        keep = elongated(mine)
        assert keep.sum() > 10
        np.testing.assert_allclose(axis_difference(mine["orientation"][keep], sk["orientation"][keep]), 0,
                                   atol=1e-9)


def test_any_labels(segmented):
    """Gaps, large label values and skimage's int64 labels; rows for the labels present."""
    _, im, labels = segmented[0]
    sparse = labels.astype(np.uint32) * 7
    sparse[labels % 3 == 0] = 0
    mine = nucseg.regionprops(sparse, im)
    sk = skimage_table(sparse, im)
    np.testing.assert_array_equal(mine["label"], sk["label"])
    np.testing.assert_array_equal(mine["area"], sk["area"])
    np.testing.assert_allclose(mine["centroid_x"], sk["centroid-1"], atol=1e-9)
    relabelled = skimage.measure.label(labels > 0)  # signed labels
    for dtype in (np.int32, np.int64):
        np.testing.assert_array_equal(nucseg.regionprops(relabelled.astype(dtype))["area"],
                                      skimage_table(relabelled, None)["area"])
    np.testing.assert_array_equal(nucseg.regionprops(labels[::2, ::3])["area"],
                                  skimage_table(np.ascontiguousarray(labels[::2, ::3]), None)["area"])
    assert np.isnan(nucseg.regionprops(labels)["mean_intensity"]).all()
    empty = nucseg.regionprops(np.zeros((10, 10), np.uint16))
    assert list(empty) == CSV_COLUMNS and all(len(v) == 0 for v in empty.values())


def test_bad_labels():
    with pytest.raises(TypeError, match="label"):
        nucseg.regionprops(np.ones((8, 8), np.float32))
    with pytest.raises(TypeError, match="label"):
        nucseg.regionprops(np.ones((8, 8), bool))
    with pytest.raises(ValueError, match="0..4294967295"):
        nucseg.regionprops(-np.ones((8, 8), np.int32))
    with pytest.raises(ValueError, match="2-D"):
        nucseg.regionprops(np.ones((2, 8, 8), np.uint16))
    big = np.zeros((8, 8), np.uint32)
    big[0, 0] = 1000
    with pytest.raises(ValueError, match="exceeds the pixel count"):
        nucseg.regionprops(big)
    with pytest.raises(ValueError, match="8x8 but the intensity image is 9x8"):
        nucseg.regionprops(np.ones((8, 8), np.uint8), np.ones((8, 9), np.uint8))
    with pytest.raises(TypeError, match="dtype"):
        nucseg.regionprops(np.ones((8, 8), np.uint8), np.ones((8, 8), np.float64))
