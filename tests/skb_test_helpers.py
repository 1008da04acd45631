"""Helpers shared by the test modules.

A plain module next to the tests, on the path through pytest's
``pythonpath`` setting (``pyproject.toml``): importable whatever the import
mode, and never shadowed by an installed top-level ``tests`` package.
"""

import contextlib
import warnings

import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])

needs_sklearn_1_7 = pytest.mark.skipif(
    SKLEARN_VERSION < (1, 7),
    reason="compares with scikit-learn's MLP, which has sample_weight and the "
    "poisson loss from 1.7 on",
)


@contextlib.contextmanager
def quiet():
    """ConvergenceWarning silenced inside: the tests fit on small budgets
    on purpose; every other warning still surfaces."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def fit_quietly(est, *args, **kwargs):
    """``est.fit(...)`` under :func:`quiet`."""
    with quiet():
        return est.fit(*args, **kwargs)


def register_sine_activation(monkeypatch):
    """Add ``"sine"`` to the engine's activation registry for one test, as a
    contributor adding an activation would: the registry entry alone, with
    no compiled, array-API or ONNX version."""
    import numpy as np

    from skbackprop._engine import activations

    def sine(Z):
        np.sin(Z, out=Z)

    def sine_backward(delta, A, Z):
        delta *= np.cos(Z)

    monkeypatch.setitem(activations.ACTIVATIONS, "sine", activations.Activation(
        "sine", sine, sine_backward, needs_z=True))
    return activations.ACTIVATIONS
