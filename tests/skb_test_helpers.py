"""Helpers shared by the test modules.

A plain module next to the tests, on the path through pytest's
``pythonpath`` setting (``pyproject.toml``): importable whatever the import
mode, and never shadowed by an installed top-level ``tests`` package.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning


def fit_quietly(est, *args, **kwargs):
    """``est.fit(...)`` with ConvergenceWarning silenced: the tests fit on
    small budgets on purpose; every other warning still surfaces."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)
