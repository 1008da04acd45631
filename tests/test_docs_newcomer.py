"""What a newcomer reads first: a short README, times that agree with each
other, the speed advice where people look for it, and a docs index that
names the features."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    for feature in ("dropout", "one\n  activation per hidden layer", "scoring",
                    "class_weight"):
        assert feature in INDEX, feature
    assert "install" in INDEX.split(".. toctree::")[1]


def test_no_unexplained_origin_tutorial():
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.rst"),
                 *ROOT.glob("skbackprop/*.py"), *ROOT.glob("examples/*.py")]:
        assert "origin tutorial" not in path.read_text(encoding="utf-8"), path
