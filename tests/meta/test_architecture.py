"""The shape of the code: import boundaries, function lengths, the reading
guide, the suite's collection, ruff."""

import ast
import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

import pytest
from helpers.repository import ROOT

PACKAGE = Path(__file__).resolve().parents[2] / "skbackprop"


# ----------------------------------------------------------------------
# the shape of the code
def _docstring_lines(tree):
    """Lines of docstrings, ``__doc__ = ...`` assignments included."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__doc__" for t in node.targets
        ):
            lines.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source):
    """Lines holding code: not blank, not only a comment, not a docstring
    (string constants that are not docstrings count as code)."""
    docs = _docstring_lines(ast.parse(source))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
            tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return lines - docs


def function_lengths(source):
    """``(lines without docstring, name)`` of every function."""
    tree = ast.parse(source)
    docs = _docstring_lines(tree)
    return [
        (len(set(range(node.lineno, node.end_lineno + 1)) - docs), node.name)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def test_no_function_is_longer_than_60_lines():
    too_long = [
        (path.relative_to(PACKAGE).as_posix(), name, n)
        for path in PACKAGE.rglob("*.py")
        for n, name in function_lengths(path.read_text())
        if n > 60
    ]
    assert not too_long


def test_code_line_counter_counts_what_it_says():
    source = '''"""Module doc."""
# a comment

def f(x):
    """Doc
    string."""
    y = """not a docstring"""
    return x  # trailing comment

class C:
    __doc__ = (
        """Built """
        + "docstring"
    )
'''
    assert sorted(code_lines(source)) == [4, 7, 8, 10]
    assert function_lengths(source) == [(3, "f")]


@pytest.mark.slow  # collects the whole suite in a fresh interpreter
def test_suite_collects_beside_installed_tests_and_benchmarks_packages(tmp_path):
    """Installed top-level ``tests``/``benchmarks`` packages (real ones exist
    on the registry) must not shadow the suite's helpers."""
    for name in ("tests", "benchmarks"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    root = PACKAGE.parent
    # the modules that import a shared helper (the others cannot break so)
    shared = ("skb_test_helpers", "parity_table", "from battery")
    modules = [
        str(path) for path in sorted((root / "tests").rglob("test_*.py"))
        if any(name in path.read_text() for name in shared)
    ]
    assert len(modules) >= 10
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0",
         "-p", "no:cacheprovider", *modules],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ERROR" not in proc.stdout


def _reading_path():
    """``{file: [names]}`` from docs/reading_guide.rst's reading path."""
    text = (PACKAGE.parent / "docs" / "reading_guide.rst").read_text()
    block = text.split(".. reading-path")[1].split(".. end-reading-path")[0]
    path = {}
    for item in block.split("\n- ")[1:]:
        item = " ".join(item.split())
        filename, names = item.split(":", 1)
        path[filename.strip("` ")] = [n.strip("` ") for n in names.split(",")]
    return path


def _definition_lines(tree, dotted):
    """Lines of the function or class ``dotted`` (``Class.method`` or a
    module-level name) in ``tree``."""
    scope = tree.body
    for part in dotted.split("."):
        node = next(
            n for n in scope
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part
        )
        scope = node.body
    return set(range(node.lineno, node.end_lineno + 1))


def test_reading_guide_extension_points_name_what_exists():
    """Each ``file``: ``Name`` of the guide's "Where a new piece goes" is
    defined at the top level of that file (a renamed registry or class
    fails here, not in a reader's hands)."""
    text = (PACKAGE.parent / "docs" / "reading_guide.rst").read_text()
    block = text.split(".. extension-points")[1].split(".. end-extension-points")[0]
    block = " ".join(block.split())
    refs = re.findall(r"``([\w./]+\.py)``: ((?:``\w+``(?:, )?)+)", block)
    assert len(refs) >= 10, refs
    for filename, names in refs:
        path = PACKAGE / filename
        if not path.exists():
            path = PACKAGE / "_engine" / filename
        tree = ast.parse(path.read_text())
        defined = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
                if isinstance(node, ast.ClassDef):
                    defined |= {n.target.id for n in node.body
                                if isinstance(n, ast.AnnAssign)}
            targets = getattr(node, "targets", [getattr(node, "target", None)])
            defined |= {t.id for t in targets if isinstance(t, ast.Name)}
        for name in re.findall(r"``(\w+)``", names):
            assert name in defined, (filename, name)


def test_reading_guide_path_is_five_files_and_under_400_lines():
    """Five files: the batch's path includes the kernels it runs on."""
    path = _reading_path()
    assert len(path) <= 5
    total = 0
    for filename, names in path.items():
        tree = ast.parse((PACKAGE / "_engine" / filename).read_text())
        lines = set()
        for name in names:
            lines |= _definition_lines(tree, name)  # StopIteration if renamed
        total += len(lines)
    assert 100 < total <= 400, total


PACKAGE_maths_written_once = Path(__file__).resolve().parents[2] / "skbackprop"


# ----------------------------------------------------------------------
# the formulas' names, counted as Python names (not strings or comments)
FORMULA_NAMES = ("tanh", "exp", "expm1", "logaddexp")


def formula_name_files(root):
    """``{name: files}`` where each of :data:`FORMULA_NAMES` occurs as a NAME
    token in the ``.py`` files under ``root``."""
    files = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        with open(path, "rb") as f:
            for tok in tokenize.tokenize(f.readline):
                if tok.type == tokenize.NAME and tok.string in FORMULA_NAMES:
                    files[tok.string].add(path.relative_to(root).as_posix())
    return files


def test_each_formula_name_is_in_at_most_two_files():
    files = formula_name_files(PACKAGE_maths_written_once)
    assert files["tanh"] and files["exp"]  # the counter finds them
    for name in FORMULA_NAMES:
        assert len(files[name]) <= 2, (name, sorted(files[name]))


def test_the_formula_counter_skips_strings_and_comments(tmp_path):
    (tmp_path / "a.py").write_text(
        '"""exp in a docstring."""\n# tanh in a comment\nx = "expm1"\n'
        "y = np.logaddexp(1, 2)\n"
    )
    (tmp_path / "b.py").write_text("import math\nz = math.exp(1)\n")
    files = formula_name_files(tmp_path)
    assert dict(files) == {"logaddexp": {"a.py"}, "exp": {"b.py"}}


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff_clean():
    proc = subprocess.run(
        ["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
