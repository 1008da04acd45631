"""Helpers shared by ``estimator/test_early_stopping.py``,
``estimator/test_sklearn_parity.py``, ``estimator/test_warm_start.py``,
``estimator/test_weights.py``."""

from numpy.testing import assert_allclose
from sklearn.datasets import (
    load_digits,
    make_classification,
)


def _binary():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, random_state=0
    )
    return X, y


def _multiclass():
    X, y = load_digits(return_X_y=True)
    return X[:500] / 16.0, y[:500]


BASE = dict(hidden_layer_sizes=(12,), alpha=0.0, max_iter=25, random_state=0)


def _assert_same_fit(ours, theirs):
    assert ours.n_iter_ == theirs.n_iter_
    if hasattr(theirs, "t_"):
        assert ours.t_ == theirs.t_
    if hasattr(theirs, "loss_curve_"):
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)
    else:  # sklearn's lbfgs keeps no loss curve; ours does
        assert len(ours.loss_curve_) == ours.n_iter_
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-7)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert_allclose(mine, ref, rtol=1e-6, atol=1e-8)
