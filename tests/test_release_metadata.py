"""The package metadata says what a release is: a final version number,
classifiers a package index can filter on, keywords, no invented URL."""

import re
from pathlib import Path

import pytest

import skbackprop

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.fixture(scope="module")
def project():
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def test_the_version_is_a_final_release_and_the_package_says_the_same(project):
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"]), project["version"]
    assert skbackprop.__version__ == project["version"]


def test_the_changelog_has_a_section_for_the_version(project):
    changelog = (PYPROJECT.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(project['version'])}\] - \d{{4}}-\d\d-\d\d$",
                     changelog, re.M)


def test_classifiers_say_what_it_is(project):
    classifiers = set(project["classifiers"])
    for minor in range(10, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert project["requires-python"] == ">=3.10"
    assert "Operating System :: OS Independent" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert any(c.startswith("Intended Audience :: ") for c in classifiers)
    assert any(c.startswith("Topic :: ") for c in classifiers)
    # the license is the SPDX expression (setuptools refuses both, PEP 639)
    assert project["license"] == "BSD-3-Clause"
    assert not any(c.startswith("License :: ") for c in classifiers)
    assert "scikit-learn" in project["keywords"]


def test_no_project_url_is_invented(project):
    assert "urls" not in project
