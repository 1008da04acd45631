"""A ConvergenceWarning raised in an ``n_jobs`` worker process has no line
of the user's to point at: it shows skbackprop's own line (as scikit-learn's
MLP shows its own), not ``multiprocessing/process.py``; the parent's filters
still reach the workers."""

import re
import subprocess
import sys
import textwrap

import pytest

SCRIPT = """
    import warnings
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score
    from skbackprop import BackpropMLPClassifier
    if {ignore}:
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_iris(return_X_y=True)
    model = BackpropMLPClassifier((5,), max_iter=2, random_state=0)
    cross_val_score(model, X, y, cv=2, n_jobs=2)
    print("scored")
"""


def _run(tmp_path, ignore):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT.format(ignore=ignore)))
    return subprocess.run([sys.executable, str(script)], capture_output=True,
                          text=True, cwd=tmp_path, check=True, timeout=300)


@pytest.mark.slow
def test_a_worker_warning_names_skbackprops_line(tmp_path):
    proc = _run(tmp_path, ignore=False)
    lines = [line for line in proc.stderr.splitlines() if "ConvergenceWarning" in line]
    assert len(lines) == 2, proc.stderr  # one per fold
    for line in lines:
        assert re.search(r"skbackprop[/\\]\S+\.py:\d+: ConvergenceWarning", line), line
        assert "multiprocessing" not in line and "<frozen" not in line, line


@pytest.mark.slow
def test_the_parents_filter_reaches_the_workers(tmp_path):
    proc = _run(tmp_path, ignore=True)
    assert "scored" in proc.stdout
    assert "ConvergenceWarning" not in proc.stderr, proc.stderr
