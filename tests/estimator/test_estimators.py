"""The estimators as a user meets them: demo, targets, dtypes, sklearn tools."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_trains_in_float32(solver):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    clf = BackpropMLPClassifier(
        (10,), solver=solver, max_iter=300, random_state=0, learning_rate_init=0.01
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    assert clf.score(X, y) > 0.9
    reg = BackpropMLPRegressor(
        hidden_layer_sizes=(10,), solver=solver, max_iter=50, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, X[:, 0] + X[:, 1])
    assert reg.predict(X).dtype == np.float32


def test_binary_multiclass_multilabel_outputs():
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    kw = dict(hidden_layer_sizes=(20,), solver="lbfgs", max_iter=300, random_state=0)
    multi = BackpropMLPClassifier(**kw).fit(X, y)
    assert multi.out_activation_ == "softmax" and multi.n_outputs_ == 3
    proba = multi.predict_proba(X)
    assert proba.shape == (200, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(multi.predict_log_proba(X), np.log(proba))
    assert multi.score(X, y) > 0.9

    yb = np.where(y == 0, "a", "b")
    binary = BackpropMLPClassifier(**kw).fit(X, yb)
    assert binary.out_activation_ == "logistic" and binary.n_outputs_ == 1
    assert_array_equal(binary.classes_, ["a", "b"])
    pb = binary.predict_proba(X)
    assert pb.shape == (200, 2)
    assert_array_equal(binary.predict(X), binary.classes_[pb.argmax(axis=1)])

    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    ml = BackpropMLPClassifier(**kw).fit(X, Y)
    assert ml.out_activation_ == "logistic" and ml.n_outputs_ == 3
    assert ml.predict(X).shape == (200, 3)
    assert ml.predict_proba(X).shape == (200, 3)
    assert (ml.predict(X) == Y).mean() > 0.9


def test_multioutput_regression():
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, -y]) / y.std()
    reg = make_pipeline(
        StandardScaler(),
        BackpropMLPRegressor(
            hidden_layer_sizes=(20,), solver="lbfgs", max_iter=500, random_state=0
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.5
    assert reg[-1].out_activation_ == "identity" and reg[-1].n_outputs_ == 2


def test_no_hidden_layer_is_logistic_regression():
    X, y = load_iris(return_X_y=True)
    clf = BackpropMLPClassifier((), solver="lbfgs", max_iter=500, random_state=0)
    clf.fit(StandardScaler().fit_transform(X), y)
    assert clf.n_layers_ == 2 and len(clf.coefs_) == 1
    assert clf.score(StandardScaler().fit_transform(X), y) > 0.95
