"""The package imports from the folder that holds the clone (issue 17, 9).

A clone is a folder named ``skbackprop``; Python run from its parent folder
finds it first on ``sys.path`` (the current directory) and, as it has no
``__init__.py``, would import it as an empty namespace package, unless a
later ``sys.path`` entry holds the regular package: a regular package found
anywhere on the path wins over namespace portions. setuptools' default
editable install for a flat layout is an import hook that runs only after
the path search, so it loses; with ``package-dir = {"" = "."}`` it writes a
plain ``.pth`` path entry to the clone's root instead, which wins.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skbackprop

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


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


ROOT = Path(__file__).resolve().parents[2]
tomllib_install = pytest.importorskip("tomllib")  # Python >= 3.11


def test_editable_install_is_a_plain_path_entry():
    config = tomllib_install.loads((ROOT / "pyproject.toml").read_text())["tool"]
    # setuptools writes a static .pth (not its import hook) exactly when
    # every package lies under the single root package directory
    assert config["setuptools"]["package-dir"] == {"": "."}
    assert config["setuptools"]["packages"]["find"]["include"] == ["skbackprop*"]


# setuptools' default editable install for this layout, in miniature: a
# finder appended to sys.meta_path, consulted only after the path search
_HOOK = """
import importlib.util, sys

class EditableFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == {name!r}:
            return importlib.util.spec_from_file_location(
                name, {init!r}, submodule_search_locations=[{package!r}]
            )

sys.meta_path.append(EditableFinder)
"""


def _python(code, cwd, pythonpath=None):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _parent_of_clone(tmp_path, name):
    # the clone as Python sees it from its parent: a folder named like the
    # package, without __init__.py (the package is one level further down)
    (tmp_path / name / name).mkdir(parents=True)
    (tmp_path / name / "README.md").write_text("a clone\n")
    return tmp_path


def test_a_path_entry_imports_from_the_folder_that_holds_the_clone(tmp_path):
    parent = _parent_of_clone(tmp_path, "skbackprop")
    # the checkout's root as a later path entry than the current folder, as
    # the .pth file of the editable install adds it
    # where the import system finds the package (without running it, which
    # would import scikit-learn: a second); a namespace package has no origin
    code = (
        "import importlib.util\n"
        "print(importlib.util.find_spec('skbackprop').origin)\n"
    )
    proc = _python(code, parent, pythonpath=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == ROOT / "skbackprop" / "__init__.py"


def test_an_import_hook_loses_to_the_folder_that_holds_the_clone(tmp_path):
    """Why package-dir is set: the default editable install's import hook
    gives the error users met. (A stand-in package, as the installed
    skbackprop is on this interpreter's path already.)"""
    name = "skbackprop_clone_probe"
    package = tmp_path / "site" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    parent = _parent_of_clone(tmp_path / "work", name)
    hook = _HOOK.format(
        name=name, init=str(package / "__init__.py"), package=str(package)
    )
    code = f"from {name} import VALUE\nprint(VALUE)\n"

    proc = _python(hook + code, parent)
    assert proc.returncode == 1
    assert (
        f"cannot import name 'VALUE' from '{name}' (unknown location)"
        in proc.stderr
    )
    # the same hook works from any other folder
    proc = _python(hook + code, tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
    # and a path entry works from the folder that holds the clone
    proc = _python(code, parent, pythonpath=str(package.parent))
    assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
