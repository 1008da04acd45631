"""sample_weight and class_weight: zero-weight batches, equivalence with
repeated rows and with the matching sample weights, as in scikit-learn."""

import warnings

import numpy as np
import pytest
from helpers.linear_data import Y_REG, X
from helpers.sklearn_comparison import BASE, _binary
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _quiet_fit
from sklearn.datasets import (
    make_classification,
)
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import Adam, Network, make_trainer


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_integer_sample_weight_equals_repeated_rows(solver):
    X, y = _binary()
    w = np.random.RandomState(0).randint(0, 3, size=len(y))
    # a single full batch, so the stochastic solvers see the same steps
    params = dict(BASE, solver=solver, alpha=1e-3, batch_size=len(y) * 3,
                  shuffle=False, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
        weighted = _quiet_fit(BackpropMLPClassifier(**params), X, y, sample_weight=w)
        repeated = _quiet_fit(BackpropMLPClassifier(**params),
                              np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-8)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                    rtol=1e-6, atol=1e-9)


def test_sample_weight_changes_the_fit_in_partial_fit():
    X, y = _binary()
    w = np.where(y == 1, 5.0, 1.0)
    a = BackpropMLPClassifier(**BASE).partial_fit(X, y, classes=[0, 1])
    b = BackpropMLPClassifier(**BASE).partial_fit(X, y, sample_weight=w,
                                                  classes=[0, 1])
    c = BackpropMLPClassifier(**BASE).partial_fit(X, y, sample_weight=2 * w,
                                                  classes=[0, 1])
    assert not np.allclose(a.coefs_[0], b.coefs_[0])
    # only the relative weights matter
    assert_allclose(b.coefs_[0], c.coefs_[0], rtol=1e-10)


def _imbalanced():
    return make_classification(
        n_samples=600, n_features=6, weights=[0.95], flip_y=0.02, class_sep=0.7,
        random_state=0,
    )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_class_weight_equals_the_matching_sample_weight(solver):
    X, y = _imbalanced()
    params = dict(BASE, solver=solver)
    balanced = _quiet_fit(BackpropMLPClassifier(class_weight="balanced", **params),
                          X, y)
    as_weights = _quiet_fit(BackpropMLPClassifier(**params), X, y,
                            sample_weight=compute_sample_weight("balanced", y))
    assert_allclose(balanced.coefs_[0], as_weights.coefs_[0], rtol=1e-10)

    # a dict composes multiplicatively with sample_weight
    sw = np.random.RandomState(1).uniform(0.5, 2, size=len(y))
    by_dict = _quiet_fit(BackpropMLPClassifier(class_weight={0: 1, 1: 4}, **params),
                         X, y, sample_weight=sw)
    by_product = _quiet_fit(BackpropMLPClassifier(**params), X, y,
                            sample_weight=sw * np.where(y == 1, 4.0, 1.0))
    assert_allclose(by_dict.coefs_[0], by_product.coefs_[0], rtol=1e-10)


def test_balanced_class_weight_counts_weighted_samples():
    """'balanced' counts each class by its total sample weight (as
    compute_class_weight(..., sample_weight=) does), so integer weights
    still equal repeated rows; unit weights give the unweighted rule bit for
    bit, and a class of weight zero gets weight zero."""
    from skbackprop._validation import class_sample_weight as _class_sample_weight

    X, y = _imbalanced()
    sw = np.where(y == 1, 3, 1)
    params = dict(BASE, solver="lbfgs", class_weight="balanced")
    weighted = _quiet_fit(BackpropMLPClassifier(**params), X, y, sample_weight=sw)
    repeated = _quiet_fit(BackpropMLPClassifier(**params),
                          np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                    rtol=1e-6, atol=1e-9)
    ones = np.ones(len(y))
    assert_array_equal(_class_sample_weight("balanced", y, ones),
                       compute_sample_weight("balanced", y))
    Y2 = np.c_[y, 1 - y, y]
    assert_array_equal(_class_sample_weight("balanced", Y2, ones),
                       compute_sample_weight("balanced", Y2))
    # by hand: class 1 weighs 3 per row
    n0, n1 = np.sum(y == 0), 3 * np.sum(y == 1)
    expected = np.where(y == 1, (n0 + n1) / (2 * n1), (n0 + n1) / (2 * n0))
    assert_allclose(_class_sample_weight("balanced", y, sw.astype(float)), expected,
                    rtol=1e-15)
    zero = np.where(y == 1, 0.0, 1.0)
    assert_array_equal(_class_sample_weight("balanced", y, zero)[y == 1], 0.0)


def test_a_dict_class_weight_on_multilabel_y_is_refused_clearly():
    X, y = _imbalanced()
    Y2 = np.c_[y, 1 - y]
    with pytest.raises(ValueError, match="class_weight must be 'balanced' or None "
                                         "for a multilabel y"):
        BackpropMLPClassifier(class_weight={0: 1, 1: 2}).fit(X, Y2)


def test_class_weight_balanced_raises_minority_recall():
    X, y = _imbalanced()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    params = dict(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    plain = _quiet_fit(BackpropMLPClassifier(**params), X_train, y_train)
    weighted = _quiet_fit(
        BackpropMLPClassifier(class_weight="balanced", **params), X_train, y_train
    )
    r_plain = recall_score(y_test, plain.predict(X_test))
    r_weighted = recall_score(y_test, weighted.predict(X_test))
    assert r_weighted >= r_plain + 0.3, (r_plain, r_weighted)


def test_zero_weight_batch_is_no_step():
    net = Network([4, 3, 1], "relu", "squared_error")
    params = net.init_params(np.random.RandomState(0))
    opt = Adam(net.n_params, np.float64)
    trainer = make_trainer(net, opt, 10)
    before = params.copy()
    loss = trainer.step(params, X[:10], Y_REG[:10, None], np.zeros(10), 0.1)
    assert loss == 0.0
    assert_array_equal(params, before)
    assert opt.t == 0 and not opt.m.any()


def test_adam_steps_only_on_weighted_batches():
    sw = np.r_[np.zeros(20), np.ones(20)]
    est = fit_quietly(BackpropMLPRegressor(hidden_layer_sizes=(3,), batch_size=10,
                                           shuffle=False, max_iter=3,
                                           random_state=0), X, Y_REG,
                      sample_weight=sw)
    assert est._optimizer.t == 2 * 3  # two weighted batches per epoch
    assert est.t_ == 40 * 3


@pytest.mark.parametrize("alpha_scaling", ["dataset", "batch"])
def test_zero_weight_batches_equal_dropping_the_rows(alpha_scaling):
    params = dict(hidden_layer_sizes=(3,), batch_size=10, shuffle=False,
                  max_iter=4, random_state=0, alpha=0.1,
                  alpha_scaling=alpha_scaling)
    sw = np.r_[np.zeros(20), np.ones(20)]
    a = fit_quietly(BackpropMLPRegressor(**params), X, Y_REG, sample_weight=sw)
    b = fit_quietly(BackpropMLPRegressor(**params), X[20:], Y_REG[20:])
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-12)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-15)
