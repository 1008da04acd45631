"""Warnings point at the caller's line and follow the filters users write.

skbackprop's warnings are reported at the first frame outside skbackprop,
scikit-learn and joblib; filters aimed at skbackprop select them, and
scikit-learn's gallery idiom ``filterwarnings("ignore",
category=ConvergenceWarning, module="sklearn")`` silences them as it silences
scikit-learn's MLP -- unless a filter aimed at skbackprop decides first.
"""

import re
import subprocess
import sys
import textwrap
import warnings

import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_iris(return_X_y=True)


def _short():
    return BackpropMLPClassifier((5,), max_iter=2, random_state=0)


def _record(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_the_warning_points_at_the_callers_line():
    line = sys._getframe().f_lineno + 1
    caught = _record(lambda: _short().fit(X, y))
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
    assert "Maximum iterations (2)" in str(caught[0].message)


def test_the_warning_points_at_the_users_line_through_sklearn():
    line = sys._getframe().f_lineno + 2
    caught = _record(
        lambda: make_pipeline(StandardScaler(), _short()).fit(X, y)
    )
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
    caught = _record(lambda: cross_val_score(_short(), X, y, cv=2))
    assert caught and all(w.filename == __file__ for w in caught)


def test_lbfgs_and_divergence_warnings_point_at_the_caller_too():
    est = BackpropMLPClassifier((5,), solver="lbfgs", max_iter=2, random_state=0)
    caught = _record(lambda: est.fit(X, y))
    assert caught and all(w.filename == __file__ for w in caught)
    assert "lbfgs failed to converge" in str(caught[0].message)


def test_sklearn_gallery_filter_silences_our_convergence_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning,
                                module="sklearn")
        _short().fit(X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("module", ["skbackprop", r"skbackprop\._training"])
def test_filters_aimed_at_skbackprop_select_our_warnings(module):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.filterwarnings("error", category=ConvergenceWarning,
                                module=module)
        with pytest.raises(ConvergenceWarning, match="Maximum iterations"):
            _short().fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning,
                                module=module)
        _short().fit(X, y)
    assert not caught


def test_a_filter_aimed_at_skbackprop_beats_one_aimed_at_sklearn():
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning,
                                module="sklearn")
        warnings.filterwarnings("error", category=ConvergenceWarning,
                                module="skbackprop")
        with pytest.raises(ConvergenceWarning):
            _short().fit(X, y)


def test_other_filters_are_untouched():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                module="sklearn")
        warnings.filterwarnings("ignore", message="unrelated", module="sklearn")
        _short().fit(X, y)
    assert len(caught) == 1  # filters of other warnings do not catch ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _short().fit(X, y)  # and a global ignore still ignores


@pytest.mark.slow  # a fresh interpreter or a whole workflow
def test_a_script_shows_its_own_line(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        from sklearn.datasets import load_iris
        from skbackprop import BackpropMLPClassifier
        X, y = load_iris(return_X_y=True)
        BackpropMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True,
                          text=True, cwd=tmp_path, check=True)
    assert f"{script}:5: ConvergenceWarning" in proc.stderr
    assert "BackpropMLPClassifier(max_iter=2" in proc.stderr  # the source line


_FIT = ("from sklearn.datasets import load_iris\n"
        "from skbackprop import BackpropMLPClassifier\n"
        "X, y = load_iris(return_X_y=True)\n"
        "BackpropMLPClassifier(max_iter=2, random_state=0).fit(X, y)\n"
        "print('fitted')\n")


@pytest.mark.slow  # a fresh interpreter or a whole workflow
@pytest.mark.parametrize("how", ["-c", "stdin", "interactive"])
def test_code_without_a_file_gets_the_warning_not_an_error(tmp_path, how):
    """``python -c``, a script piped to ``python -`` and the interactive
    prompt: ``__main__``'s loader there cannot give its source, and the
    warning used to end the fit with that loader's ImportError."""
    args = {"-c": ["-c", _FIT], "stdin": ["-"], "interactive": ["-i"]}[how]
    proc = subprocess.run([sys.executable, *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120,
                          input=None if how == "-c" else _FIT)
    assert proc.returncode == 0, proc.stderr
    assert "Error" not in proc.stderr, proc.stderr
    assert "ConvergenceWarning: Stochastic Optimizer" in proc.stderr
    assert "fitted" in proc.stdout
    if how != "interactive":  # the prompt numbers no lines of a file
        name = {"-c": "<string>", "stdin": "<stdin>"}[how]
        assert f"{name}:4: ConvergenceWarning" in proc.stderr


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
