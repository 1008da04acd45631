"""Equality with scikit-learn's MLP from identical weights.

Forward passes and one full-batch SGD step (momentum 0) must agree with
sklearn's MLPClassifier/MLPRegressor to 1e-10 for every activation sklearn
has and every target type.  With a full batch our L2 penalty equals
sklearn's, so alpha > 0 is covered too.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from skb_test_helpers import fit_quietly as _fit_quietly
from skb_test_helpers import needs_sklearn_1_7
from sklearn.datasets import load_digits, make_regression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

SKLEARN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


def _data(target, rng):
    X = rng.randn(40, 4)
    if target == "binary":
        y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    elif target == "multiclass":
        y = np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5])
    elif target == "multilabel":
        y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.3, X[:, 2] < 0]).astype(int)
    elif target == "regression":
        y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.randn(40)
    else:  # multi-output regression
        y = np.column_stack([X @ [1.0, -2.0, 0.5, 0.0], X[:, 1] ** 2])
    return X, y


def _pair(target, **params):
    cls = (
        (BackpropMLPRegressor, MLPRegressor)
        if "regression" in target
        else (BackpropMLPClassifier, MLPClassifier)
    )
    return cls[0](**params), cls[1](**params)


@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
@pytest.mark.parametrize(
    "target",
    ["binary", "multiclass", "multilabel", "regression", "multioutput-regression"],
)
def test_forward_and_one_sgd_step_equal_sklearn(activation, target):
    rng = np.random.RandomState(0)
    X, y = _data(target, rng)
    params = dict(
        hidden_layer_sizes=(5, 3),
        activation=activation,
        solver="sgd",
        momentum=0.0,
        batch_size=X.shape[0],
        shuffle=False,
        learning_rate_init=0.05,
        alpha=0.01,
        max_iter=1,
        random_state=0,
    )
    ours, theirs = _pair(target, **params)
    _fit_quietly(ours, X, y)
    _fit_quietly(theirs, X, y)

    # identical starting weights, drawn independently of either library
    shapes = [c.shape for c in theirs.coefs_]
    W = [rng.uniform(-0.5, 0.5, s) for s in shapes]
    b = [rng.uniform(-0.5, 0.5, s[1]) for s in shapes]
    ours.coefs_, ours.intercepts_ = [w.copy() for w in W], [c.copy() for c in b]
    theirs.coefs_, theirs.intercepts_ = [w.copy() for w in W], [c.copy() for c in b]

    # forward pass
    if "regression" in target:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=0, atol=1e-10)
    else:
        assert_allclose(
            ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-10
        )
        assert (ours.predict(X) == theirs.predict(X)).all()

    # one full-batch gradient step
    ours.partial_fit(X, y)
    theirs.partial_fit(X, y)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert_allclose(mine, ref, rtol=0, atol=1e-10)
    # the step really moved the weights (the comparison is not vacuous)
    assert max(np.abs(c - w).max() for c, w in zip(ours.coefs_, W)) > 1e-4

    if target == "multioutput-regression":
        # sklearn averages the squared error over outputs, but follows the
        # gradient of the sum; ours reports the sum (see CHANGELOG)
        penalty = 0.5 * 0.01 * sum((w**2).sum() for w in W) / X.shape[0]
        assert_allclose(ours.loss_ - penalty, 2 * (theirs.loss_ - penalty), rtol=1e-10)
    else:
        assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_whole_training_run_matches_sklearn_from_the_same_seed(solver):
    """Same seed: same initial draws, same shuffles, same steps (alpha=0, where
    both scalings of the penalty coincide)."""
    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16
    y = y[:600]
    params = dict(
        solver=solver, random_state=0, max_iter=8, alpha=0.0, hidden_layer_sizes=(30,)
    )
    ours = _fit_quietly(BackpropMLPClassifier(**params), X, y)
    theirs = _fit_quietly(MLPClassifier(**params), X, y)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert_allclose(mine, ref, rtol=0, atol=1e-12)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_


@needs_sklearn_1_7
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_scaling_batch_reproduces_sklearn_with_mini_batches(solver, weighted):
    """alpha_scaling='batch' divides alpha by each batch's weight, as sklearn
    does: the whole run equals sklearn's (load_digits, batch 200, alpha
    1e-4); 'dataset' divides by the data's weight and does not.  With
    sample weights the epoch loss is also sklearn's: the batches' losses
    averaged over rows (not over weight), so tol and n_iter_no_change stop
    at the same epoch."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y)) if weighted else None
    params = dict(solver=solver, random_state=0, max_iter=6, alpha=1e-4,
                  batch_size=200, hidden_layer_sizes=(40,))
    theirs = _fit_quietly(MLPClassifier(**params), X, y, sample_weight=sw)
    ours = _fit_quietly(BackpropMLPClassifier(alpha_scaling="batch", **params),
                        X, y, sample_weight=sw)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert_allclose(mine, ref, rtol=0, atol=1e-10)
    dataset = _fit_quietly(BackpropMLPClassifier(alpha_scaling="dataset", **params),
                           X, y, sample_weight=sw)
    assert np.abs(dataset.coefs_[0] - theirs.coefs_[0]).max() > 1e-8


@needs_sklearn_1_7
def test_alpha_scaling_batch_stops_where_sklearn_stops_with_sample_weight():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    sw = np.random.RandomState(0).rand(len(y))
    params = dict(hidden_layer_sizes=(20,), random_state=0, max_iter=300,
                  tol=1e-3, n_iter_no_change=2)
    theirs = _fit_quietly(MLPClassifier(**params), X, y, sample_weight=sw)
    ours = _fit_quietly(BackpropMLPClassifier(alpha_scaling="batch", **params),
                        X, y, sample_weight=sw)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


def test_alpha_scaling_agrees_for_lbfgs_and_full_batches():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    for params in (dict(solver="lbfgs", max_iter=20),
                   dict(solver="adam", batch_size=300, max_iter=5)):
        fits = [
            _fit_quietly(BackpropMLPClassifier(
                hidden_layer_sizes=(10,), alpha=0.1, random_state=0,
                alpha_scaling=scaling, **params), X, y)
            for scaling in ("dataset", "batch")
        ]
        assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_, rtol=1e-12)


def test_lbfgs_matches_sklearn_with_l2():
    X, y = make_regression(n_samples=80, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    params = dict(
        solver="lbfgs",
        random_state=0,
        max_iter=40,
        alpha=0.1,
        hidden_layer_sizes=(10,),
        activation="tanh",
    )
    ours = _fit_quietly(BackpropMLPRegressor(**params), X, y)
    theirs = _fit_quietly(MLPRegressor(**params), X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_, theirs.loss_, rtol=1e-8)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
def test_initial_weights_equal_sklearn(activation):
    """Glorot uniform, factor 2 for logistic, same draw order as sklearn."""
    X, y = _data("multiclass", np.random.RandomState(1))
    params = dict(
        hidden_layer_sizes=(6, 4),
        activation=activation,
        solver="sgd",
        learning_rate_init=1e-300,
        momentum=0.0,
        max_iter=1,
        random_state=3,
        shuffle=False,
    )
    ours = _fit_quietly(BackpropMLPClassifier(**params), X, y)
    theirs = _fit_quietly(MLPClassifier(**params), X, y)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert_allclose(mine, ref, rtol=1e-15)
    fan_in, fan_out = 4, 6
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    assert np.abs(ours.coefs_[0]).max() <= bound
    assert np.abs(ours.coefs_[0]).max() > 0.8 * bound
