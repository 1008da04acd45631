"""One activation per hidden layer: lists of names, their initialisation,
gradcheck, get_params/clone/grid search, and clear errors."""

import pickle

import numpy as np
import pytest
from helpers.digits_fits import (
    X_REG,
    Y_REG,
    X,
    Y,
    _assert_same_fit,
    _forward,
    _gradcheck_data,
)
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly as _fit
from sklearn.base import clone
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop._engine import Network


def test_gradcheck_mixed_per_layer_activations():
    for loss in ("log_loss", "binary_log_loss", "squared_error", "poisson"):
        _, X_, Y_ = _gradcheck_data(loss, seed=1)
        acts = ["logistic", "gelu", "softplus", "tanh", "elu"]
        err = gradcheck(X_, Y_, (6, 5, 4, 5, 3), acts, loss, alpha=0.3)
        assert err < 1e-6, loss


# ----------------------------------------------------------------------
# one activation per hidden layer
@pytest.mark.parametrize("name", ["logistic", "relu", "gelu"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_identical_names_fit_exactly_as_the_string(name, solver):
    params = dict(hidden_layer_sizes=(12, 7), solver=solver, max_iter=5,
                  random_state=0)
    one = _fit(BackpropMLPClassifier(activation=name, **params), X, Y)
    each = _fit(BackpropMLPClassifier(activation=[name, name], **params), X, Y)
    _assert_same_fit(one, each)


@pytest.mark.parametrize(
    "activation, factors",
    [
        (["logistic", "relu"], [2, 6, 6]),
        (["relu", "logistic"], [6, 2, 2]),
        ("logistic", [2, 2, 2]),
        ([], [6]),
    ],
)
def test_glorot_factor_of_each_layer(activation, factors):
    """Weights into hidden layer k: the factor of f_k; the output layer's:
    the last hidden activation's (6 without hidden layers)."""
    units = [4, 5, 6, 3][: len(factors) + 1]
    if len(factors) == 1:
        units = [4, 3]
    net = Network(units, activation, "log_loss")
    flat = net.init_params(np.random.RandomState(0))
    coefs, intercepts = net.unpack(flat)
    rng = np.random.RandomState(0)
    for (fan_in, fan_out), W, b, factor in zip(
        net.coef_shapes, coefs, intercepts, factors, strict=True
    ):
        bound = np.sqrt(factor / (fan_in + fan_out))
        assert_array_equal(W, rng.uniform(-bound, bound, (fan_in, fan_out)))
        assert_array_equal(b, rng.uniform(-bound, bound, fan_out))


def test_each_layer_uses_its_own_activation():
    est = _fit(BackpropMLPRegressor(
        hidden_layer_sizes=(8, 6, 5), activation=("tanh", "identity", "softplus"),
        max_iter=20, random_state=0), X_REG, Y_REG)
    assert_allclose(est.predict(X_REG), _forward(est, X_REG).ravel(), rtol=1e-12)
    swapped = pickle.loads(pickle.dumps(est))
    swapped.set_params(activation=("softplus", "identity", "tanh"))
    assert np.abs(swapped.predict(X_REG) - est.predict(X_REG)).max() > 1e-3


def test_list_values_through_get_params_clone_and_grid_search():
    est = BackpropMLPClassifier(hidden_layer_sizes=(8, 4),
                                activation=["relu", "tanh"], dropout=[0.2, 0.0])
    params = clone(est).get_params()
    assert params["activation"] == ["relu", "tanh"]
    assert params["dropout"] == [0.2, 0.0]
    grid = {
        "activation": [["relu", "tanh"], ("logistic", "logistic"), "relu"],
        "dropout": [0.0, [0.3, 0.0]],
    }
    search = _fit(GridSearchCV(
        BackpropMLPClassifier(hidden_layer_sizes=(8, 4), max_iter=3, random_state=0),
        grid, cv=2), X, Y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["activation"] in grid["activation"]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(activation=["relu"]), ValueError, "1 names but hidden_layer_sizes"),
        (dict(activation=["relu", "sigmoid"]), InvalidParameterError,
         "Got 'sigmoid' at position 1"),
        (dict(activation=["relu", 3]), InvalidParameterError, "Got 3 at position"),
        (dict(activation="sigmoid"), InvalidParameterError,
         "The 'activation' parameter"),
        (dict(dropout=[0.1]), ValueError, "1 rates but hidden_layer_sizes"),
        (dict(dropout=[0.1, 1.0]), InvalidParameterError, r"Got 1\.0 in"),
        (dict(dropout=[0.1, np.nan]), InvalidParameterError, "Got nan in"),
        (dict(dropout=[0.1, "a"]), InvalidParameterError, "Got 'a' in"),
        (dict(dropout=1.0), InvalidParameterError, "The 'dropout' parameter"),
        (dict(dropout=-0.1), InvalidParameterError, "The 'dropout' parameter"),
        (dict(scoring="bogus"), ValueError, "scoring='bogus' is not a valid scorer"),
        (dict(scoring=log_loss), ValueError, "looks like it is a metric function"),
        (dict(scoring=3), InvalidParameterError, "The 'scoring' parameter"),
        (dict(solver="lbfgs", dropout=0.1), ValueError,
         "dropout is not supported with solver='lbfgs'"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_clear_errors_and_the_fitted_model_survives(params, error, match):
    est = _fit(BackpropMLPClassifier(hidden_layer_sizes=(6, 4), max_iter=2,
                                     random_state=0), X, Y)
    before = pickle.dumps(est)
    est.set_params(**params)
    with pytest.raises(error, match=match):
        est.fit(X, Y)
    est.set_params(**{k: BackpropMLPClassifier().get_params()[k] for k in params})
    assert pickle.dumps(est) == before


def test_zero_d_and_nested_arrays_as_activation_or_dropout():
    """A 0-d array of a name is refused as scikit-learn refuses it (not an
    internal TypeError); a 0-d rate is one rate, as a numpy float is; nested
    rates are refused by what is wrong with them, not by their count."""
    with pytest.raises(InvalidParameterError, match="flat sequence of such names"):
        _fit(BackpropMLPClassifier(activation=np.array("relu"), max_iter=2), X, Y)
    with pytest.raises(InvalidParameterError, match="flat sequence of such names"):
        _fit(BackpropMLPClassifier(activation=[["relu"]], max_iter=2), X, Y)
    params = dict(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0)
    zero_d = _fit(BackpropMLPClassifier(dropout=np.array(0.3), **params), X, Y)
    scalar = _fit(BackpropMLPClassifier(dropout=0.3, **params), X, Y)
    for a, b in zip(zero_d.coefs_, scalar.coefs_):
        assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"flat sequence of rates .* shape \(1, 2\)"):
        _fit(BackpropMLPClassifier(dropout=[[0.1, 0.2]], **params), X, Y)
