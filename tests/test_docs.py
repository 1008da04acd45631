"""The documentation builds with warnings as errors and runs the gallery."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docs, pytest.mark.slow]

for _module in ("sphinx", "numpydoc", "sphinx_gallery", "matplotlib"):
    pytest.importorskip(_module)

import skbackprop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


def _expected_examples():
    names = sorted(p.stem for p in EXAMPLES.glob("plot_*.py"))
    if importlib.util.find_spec("dask_ml") is None:
        names = [n for n in names if not n.startswith("plot_dask_")]
    return names


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q",
         # run every example, even if an earlier build cached its output
         "-D", "sphinx_gallery_conf.run_stale_examples=True",
         "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return out


def test_gallery_ran_every_example(html):
    expected = _expected_examples()
    assert len(expected) >= 7
    for name in expected:
        page = (html / "auto_examples" / f"{name}.html").read_text()
        # each example drew at least one figure
        assert re.search(r"sphx_glr_" + name + r"_\d+\.png", page), name


def test_api_page_lists_every_public_name(html):
    page = (html / "api.html").read_text()
    public = [n for n in skbackprop.__all__ if not n.startswith("__")]
    for name in public:
        assert f'id="skbackprop.{name}"' in page, name


def test_derivation_page_carries_the_corrected_formulas(html):
    source = (DOCS / "backprop.rst").read_text()
    # the fused output delta, divided once by the weight sum
    assert r"\delta_L = \frac{1}{S}\, \operatorname{diag}(s) \, (a_L - Y)" in source
    # the per-layer recursion and both gradients as sums over rows
    assert r"\delta_k = \left(\delta_{k+1} W_{k+1}^{\top}\right) \odot f_k'(z_k)" in (
        source
    )
    assert r"a_{k-1}^{\top} \delta_k" in source
    assert r"\mathbf{1}^{\top} \delta_k" in source
    # the logistic derivative without the tutorial's factor 2
    assert r":math:`a (1 - a)`" in source
    page = (html / "backprop.html").read_text()
    for mistake in (
        "spurious factor 2",
        "divided by the number of outputs",
        "dW summed while db was averaged",
        "No fused output gradient",
    ):
        assert mistake in page, mistake
