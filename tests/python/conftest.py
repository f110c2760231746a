"""Shared fixtures: the CLI and test data CTest points at, and a few dsb2018 images."""
import glob
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def nucseg_bin():
    return os.environ["NUCSEG_BIN"]


@pytest.fixture(scope="session")
def data_dir():
    return os.environ["NUCSEG_TEST_DATA"]


@pytest.fixture(scope="session")
def dsb_images(data_dir):
    """Three dsb2018 development images (not their label files)."""
    imgs = sorted(p for p in glob.glob(os.path.join(data_dir, "dsb2018-dev", "*.png")) if not p.endswith("_labels.png"))
    assert len(imgs) >= 3
    return imgs[:3]


def run_cli_segment(nucseg_bin, path, out_dir, *args):
    """`nucseg segment FILE` with one worker; returns (labels .tif, nuclei .csv) paths."""
    subprocess.run([nucseg_bin, "segment", path, "-o", out_dir, "-j", "1", "--progress", "quiet", *args],
                   check=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    labels = glob.glob(os.path.join(out_dir, "**", stem + "_labels.tif"), recursive=True)
    csv = glob.glob(os.path.join(out_dir, "**", stem + "_nuclei.csv"), recursive=True)
    assert len(labels) == 1 and len(csv) == 1, (labels, csv)
    return labels[0], csv[0]
