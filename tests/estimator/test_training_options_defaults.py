"""The training options beyond scikit-learn (``weight_decay``,
``learning_rate_schedule``, ``learning_rate_warmup``, ``dropout_schedule``,
``restore_best``, the classifier's ``label_smoothing``) at their defaults,
given explicitly: scikit-learn's fits, and parameters that validate,
clone and grid-search as any other."""

import numpy as np
import pytest
from helpers.sklearn_comparison import BASE, _assert_same_fit, _binary, _multiclass
from skb_test_helpers import fit_quietly
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

SHARED = dict(weight_decay=0.0, learning_rate_schedule=None,
              learning_rate_warmup=0.0, dropout_schedule=None,
              restore_best="auto")


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("data", [_binary, _multiclass])
def test_explicit_defaults_fit_as_sklearn(solver, early_stopping, data):
    if early_stopping and data is _multiclass:
        pytest.skip("multiclass splits are stratified here, not in sklearn")
    X, y = data()
    params = dict(BASE, solver=solver, early_stopping=early_stopping)
    ours = fit_quietly(BackpropMLPClassifier(**params, **SHARED,
                                             label_smoothing=0.0), X, y)
    theirs = fit_quietly(MLPClassifier(**params), X, y)
    _assert_same_fit(ours, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_explicit_defaults_fit_as_sklearn_regressor(solver):
    X, _ = _binary()
    y = X[:, 0] - 2 * X[:, 1]
    params = dict(BASE, solver=solver)
    ours = fit_quietly(BackpropMLPRegressor(**params, **SHARED), X, y)
    _assert_same_fit(ours, fit_quietly(MLPRegressor(**params), X, y))


@pytest.mark.parametrize("Est", [BackpropMLPClassifier, BackpropMLPRegressor])
def test_explicit_defaults_are_the_defaults_bit_for_bit(Est):
    X, y = _binary()
    plain = fit_quietly(Est(**BASE, learning_rate_init=0.01), X, y)
    given = fit_quietly(Est(**BASE, **SHARED, learning_rate_init=0.01), X, y)
    assert given.loss_curve_ == plain.loss_curve_
    for a, b in zip(given.coefs_ + given.intercepts_,
                    plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, value", [
    ("weight_decay", -0.1), ("learning_rate_schedule", "cos"),
    ("learning_rate_warmup", 1.0), ("dropout_schedule", "nope"),
    ("restore_best", True), ("label_smoothing", 1.0),
    ("label_smoothing", -0.1),
])
def test_bad_values_are_refused_by_parameter_validation(name, value):
    X, y = _binary()
    with pytest.raises(InvalidParameterError, match=name):
        BackpropMLPClassifier(**{name: value}).fit(X, y)


def test_the_options_clone_and_grid_search():
    X, y = _binary()
    grid = GridSearchCV(
        BackpropMLPClassifier(hidden_layer_sizes=(6,), max_iter=15,
                              random_state=0),
        {"weight_decay": [0.0, 0.05], "learning_rate_schedule": [None, "cosine"],
         "label_smoothing": [0.0, 0.1]}, cv=2)
    fit_quietly(grid, X, y)
    assert len(grid.cv_results_["params"]) == 8
    est = clone(grid.best_estimator_)
    assert est.get_params()["restore_best"] == "auto"
