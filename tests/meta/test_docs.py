"""The documentation builds with warnings as errors and runs the gallery."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skbackprop  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL = (ROOT / "docs" / "install.rst").read_text(encoding="utf-8")
QUICKSTART = (ROOT / "docs" / "quickstart.rst").read_text(encoding="utf-8")
INDEX = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def test_the_readme_is_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_packaging_internals_live_in_the_docs():
    assert not re.search(r"namespace\s+package", README)
    assert re.search(r"namespace\s+package", INSTALL)


def test_the_test_suite_time_is_the_same_everywhere():
    times = {
        "README": re.search(r"runs the tests \(about (\d+) minutes", README),
        "install": re.search(r"``python -m pytest``\s+about (\d+) min", INSTALL),
        "quickstart": re.search(r"the tests about (\d+) minutes", QUICKSTART),
    }
    assert all(times.values()), times
    assert len({m.group(1) for m in times.values()}) == 1, times
    fast = {
        "README": re.search(r'`-m "not slow"`: about (\d+) s', README),
        "install": re.search(r'-m "not slow"``\s+about (\d+) s', INSTALL),
    }
    assert all(fast.values()) and len({m.group(1) for m in fast.values()}) == 1
    demo = {
        "README": re.search(r"runs\s+the demo \(about (\d+) s", README),
        "install": re.search(r"``python -m skbackprop``\s+(\d+) s", INSTALL),
        "quickstart": re.search(r"the demo about (\d+) s", QUICKSTART),
    }
    assert all(demo.values()), demo
    assert len({m.group(1) for m in demo.values()}) == 1, demo


def test_speed_advice_and_the_cpu_build_of_torch_are_where_people_look():
    for text in (README, INSTALL):
        assert "OMP_NUM_THREADS=1" in text
        assert CPU_TORCH in text
        assert "2.3" in text and "3.4" in text  # torch CPU, times slower
    assert "Going fast" in README


def test_the_docs_index_names_the_features():
    words = " ".join(INDEX.split())  # however the lines wrap
    for feature in ("dropout", "one activation per hidden layer", "scoring",
                    "class_weight"):
        assert feature in words, feature
    assert "install" in INDEX.split(".. toctree::")[1]


def test_no_unexplained_origin_tutorial():
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.rst"),
                 *ROOT.glob("skbackprop/*.py"), *ROOT.glob("examples/*.py")]:
        assert "origin tutorial" not in path.read_text(encoding="utf-8"), path


pytestmark = [pytest.mark.docs, pytest.mark.slow]
for _module in ("sphinx", "numpydoc", "sphinx_gallery", "matplotlib"):
    pytest.importorskip(_module)
ROOT_docs = Path(__file__).resolve().parents[2]
DOCS = ROOT_docs / "docs"
EXAMPLES = ROOT_docs / "examples"


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
        [str(ROOT_docs), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q",
         # run every example, even if an earlier build cached its output
         "-D", "sphinx_gallery_conf.run_stale_examples=True",
         "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT_docs,
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
