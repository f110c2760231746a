"""nucseg.segment and nucseg.read_image: the CLI's labels, any array layout, bad input."""
import os
import tracemalloc

import numpy as np
import pytest
import tifffile

import nucseg
from conftest import run_cli_segment


@pytest.mark.parametrize("cli_args, kwargs", [
    (["--magnification", "auto"], {}),
    (["--magnification", "10x", "--diameter", "18", "--threshold", "local"],
     {"magnification": "10x", "diameter": 18, "threshold": "local"}),
    (["--magnification", "40x", "--threshold-scale", "1.2", "--no-split"],
     {"magnification": "40x", "threshold_scale": 1.2, "split_touching": False}),
    (["--model", "nuclei"], {"model": "nuclei"}),
])
def test_labels_identical_to_cli(tmp_path, nucseg_bin, dsb_images, cli_args, kwargs):
    for i, path in enumerate(dsb_images):
        labels_tif, _ = run_cli_segment(nucseg_bin, path, str(tmp_path / str(i)), *cli_args)
        cli = tifffile.imread(labels_tif)
        mine = nucseg.segment(nucseg.read_image(path), **kwargs)
        assert mine.dtype == cli.dtype == np.uint16
        assert mine.shape == cli.shape
        assert mine.max() > 0
        np.testing.assert_array_equal(mine, cli)


def test_model_file_and_errors(tmp_path, dsb_images):
    weights = os.path.join(os.path.dirname(__file__), "..", "..", "models", "nuclei.nsnn")
    img = nucseg.read_image(dsb_images[0])
    builtin = nucseg.segment(img, model="nuclei")
    np.testing.assert_array_equal(nucseg.segment(img, model=weights), builtin)
    assert not np.array_equal(nucseg.segment(img), builtin)  # the classical pipeline differs
    bad = tmp_path / "bad.nsnn"
    data = bytearray(open(weights, "rb").read())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(OSError, match="bad.nsnn.*checksum"):
        nucseg.segment(img, model=str(bad))
    with pytest.raises(OSError, match="missing.nsnn"):
        nucseg.segment(img, model=str(tmp_path / "missing.nsnn"))
    with pytest.raises(TypeError):
        nucseg.segment(img, model=3)


def test_channel_of_a_stack_as_cli(tmp_path, nucseg_bin, dsb_images):
    """A 3-page TIFF: --channel 1 on the CLI, channel=1 of the stack in Python, either axis."""
    planes = [nucseg.read_image(p)[:200, :200] for p in dsb_images]
    stack = np.stack(planes)  # (C, rows, columns)
    path = str(tmp_path / "stack.tif")
    for plane in planes:  # one page per channel
        tifffile.imwrite(path, plane, append=True, photometric="minisblack")
    labels_tif, _ = run_cli_segment(nucseg_bin, path, str(tmp_path / "out"), "--magnification", "auto",
                                    "--channel", "1", "--diameter", "20")
    cli = tifffile.imread(labels_tif)
    np.testing.assert_array_equal(nucseg.read_image(path, channel=1), planes[1])
    np.testing.assert_array_equal(nucseg.segment(stack, diameter=20, channel=1), cli)
    interleaved = np.ascontiguousarray(np.moveaxis(stack, 0, -1))  # (rows, columns, C)
    np.testing.assert_array_equal(nucseg.segment(interleaved, diameter=20, channel=1, channel_axis=-1), cli)


def test_non_contiguous_and_foreign_layouts(dsb_images):
    im = nucseg.read_image(dsb_images[0]).astype(np.uint16) * 200
    ref = nucseg.segment(np.ascontiguousarray(im[::2, ::3]), diameter=8)
    assert ref.max() > 0
    np.testing.assert_array_equal(nucseg.segment(im[::2, ::3], diameter=8), ref)       # strided view
    np.testing.assert_array_equal(nucseg.segment(np.asfortranarray(im), diameter=8),
                                  nucseg.segment(im, diameter=8))                      # column-major
    np.testing.assert_array_equal(nucseg.segment(im.astype(">u2"), diameter=8),
                                  nucseg.segment(im, diameter=8))                      # big-endian
    np.testing.assert_array_equal(nucseg.segment(im[::-1], diameter=8),
                                  nucseg.segment(np.ascontiguousarray(im[::-1]), diameter=8))
    f = im.astype(np.float32) / 7.0
    np.testing.assert_array_equal(nucseg.segment(f, diameter=8), nucseg.segment(f.copy(), diameter=8))
    assert im.flags.writeable  # the input is left alone


def test_contiguous_input_is_not_copied(dsb_images):
    """NumPy reports its buffers to tracemalloc; the library's own are not traced. A copy
    of the input would show as a traced block the size of the image."""
    im = np.tile(nucseg.read_image(dsb_images[0]).astype(np.uint16), (4, 4))  # 1024 x 1024, 2 MiB
    stack = np.stack([im, im])
    for arr, kwargs in [(im, {}), (stack, {"channel": 1})]:
        tracemalloc.start()
        nucseg.segment(arr, diameter=20, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < im.nbytes // 4, peak
    tracemalloc.start()  # and the check can fail: a plane of interleaved channels is copied
    nucseg.segment(np.stack([im, im], axis=-1), diameter=20, channel=1, channel_axis=-1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak >= im.nbytes, peak


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int16, np.bool_, np.complex64])
def test_wrong_dtype_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="dtype .* not supported"):
        nucseg.segment(np.zeros((32, 32), dtype=dtype))


def test_bad_values_are_value_errors():
    im = np.zeros((32, 32), np.uint8)
    for kwargs, msg in [({"diameter": -3}, "diameter"), ({"diameter": float("nan")}, "diameter"),
                        ({"threshold": "triangle"}, "threshold"), ({"magnification": "20x"}, "magnification"),
                        ({"channel": 1}, "channel"), ({"threshold_scale": 0}, "threshold_scale")]:
        with pytest.raises(ValueError, match=msg):
            nucseg.segment(im, **kwargs)
    with pytest.raises(ValueError, match="channel 3 out of range"):
        nucseg.segment(np.zeros((3, 32, 32), np.uint8), channel=3)
    with pytest.raises(ValueError, match="4-D"):
        nucseg.segment(np.zeros((2, 2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="0x0|empty|pixels"):
        nucseg.segment(np.zeros((0, 0), np.uint8))
    with pytest.raises(TypeError):
        nucseg.segment(im, diameter="large")


def test_empty_image_gives_no_nuclei():
    labels = nucseg.segment(np.zeros((64, 64), np.uint16), diameter=10)
    assert labels.shape == (64, 64) and labels.dtype == np.uint16 and not labels.any()


def test_read_image_errors_name_the_file(tmp_path):
    missing = str(tmp_path / "missing.tif")
    with pytest.raises(OSError, match="missing.tif"):
        nucseg.read_image(missing)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"II*\x00" + b"\x00" * 20)
    with pytest.raises(OSError, match="junk.tif"):
        nucseg.read_image(junk)  # os.PathLike works too
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(OSError, match="text.png"):
        nucseg.read_image(str(tmp_path / "text.png"))


def test_read_image_keeps_the_pixel_type(tmp_path):
    for dtype in (np.uint8, np.uint16, np.uint32, np.float32):
        a = (np.arange(12 * 7).reshape(12, 7) * 3).astype(dtype)
        path = str(tmp_path / f"{np.dtype(dtype).name}.tif")
        tifffile.imwrite(path, a)
        b = nucseg.read_image(path)
        assert b.dtype == a.dtype
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="max_pixels|large|pixels"):
        nucseg.read_image(path, max_pixels=10)
    np.testing.assert_array_equal(nucseg.read_image(path, max_pixels=None), a)
    np.testing.assert_array_equal(nucseg.read_image(path, max_pixels=a.size), a)
    with pytest.raises(ValueError, match="channel"):
        nucseg.read_image(path, channel=-1)
    with pytest.raises(ValueError, match="channel|page|sample"):
        nucseg.read_image(path, channel=5)


def test_docstrings():
    for f in (nucseg.segment, nucseg.regionprops, nucseg.read_image, nucseg.map_tiles, nucseg.match,
              nucseg.fit_affine):
        assert f.__doc__ and len(f.__doc__) > 200, f.__name__
    assert nucseg.__version__
    assert os.path.basename(nucseg.__file__).startswith("nucseg")
