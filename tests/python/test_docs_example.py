"""The Python example of README.md and of docs/python.md, exactly as written, on a synthetic
plate made by `nucseg synth`."""
import json
import os
import re
import subprocess

import numpy as np
import pytest


def example_code(doc):
    with open(os.path.join(os.environ["NUCSEG_SRC"], doc), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 1
    return blocks[0]


@pytest.mark.parametrize("doc", ["README.md", "docs/python.md"])
def test_docs_example_runs(doc, tmp_path, nucseg_bin, capsys):
    code = example_code(doc)
    assert len(code.strip().splitlines()) <= 12
    subprocess.run([nucseg_bin, "synth", str(tmp_path / "plate"), "--wells", "1", "--tiles-10x", "1",
                    "--size-10x", "512", "--size-40x", "1024"], check=True, stdout=subprocess.DEVNULL)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {}
        exec(compile(code, doc, "exec"), scope)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert out.startswith("True ")
    m = scope["m"]
    truth = json.load(open(tmp_path / "plate" / "truth.json"))["pairs"][0]["affine_40x_to_10x"]
    truth = np.array(truth).reshape(2, 3)
    corners = np.array([[0, 0], [1024, 0], [0, 1024], [1024, 1024]], float)
    err = np.abs(corners @ (m["affine"][:, :2] - truth[:, :2]).T + m["affine"][:, 2] - truth[:, 2]).max()
    assert err < 2.0, err
    assert len(scope["nuclei_40x"]) > 50 and len(m["matches"]["label_40x"]) > 0.5 * len(scope["nuclei_40x"])
