"""predict / predict_proba: the shortcut for a few rows keeps every check
that ``validate_data`` makes, and gives the same numbers as the full path."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

X, y = load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def clf():
    return fit_quietly(BackpropMLPClassifier((8,), max_iter=30, random_state=0), X, y)


def test_the_shortcut_gives_the_full_paths_numbers(clf):
    for n in (1, 2, 64):
        full = X[:n].tolist()  # a list: validated in full
        assert_array_equal(clf.predict_proba(X[:n]), clf.predict_proba(full))
        assert_array_equal(clf.predict(X[:n]), clf.predict(full))
    x32 = X[:3].astype(np.float32)
    assert clf.predict_proba(x32).dtype == np.float64  # a float64 model


@pytest.mark.parametrize(
    "bad,error,match",
    [
        (np.array([[np.nan, 1.0, 2.0, 3.0]]), ValueError, "Input X contains NaN"),
        (np.array([[np.inf, 1.0, 2.0, 3.0]]), ValueError, "Input X contains infinity"),
        (np.ones((1, 3)), ValueError,
         "X has 3 features, but BackpropMLPClassifier is expecting 4 features"),
        (np.ones((0, 4)), ValueError, "0 sample"),
        (np.ones(4), ValueError, "Expected 2D array"),
    ],
)
def test_few_rows_keep_sklearns_checks(clf, bad, error, match):
    with pytest.raises(error, match=match):
        clf.predict_proba(bad)
    with pytest.raises(error, match=match):
        clf.predict(bad)


def test_other_inputs_take_the_full_path(clf):
    expected = clf.predict_proba(X[:2])
    assert_array_equal(clf.predict_proba(X[:2].tolist()), expected)
    assert_array_equal(clf.predict_proba(np.asfortranarray(X[:2])), expected)
    assert_array_equal(clf.predict_proba(X[:2].astype(int)),
                       clf.predict_proba(X[:2].astype(int).astype(float)))


def test_feature_names_are_still_checked():
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = fit_quietly(BackpropMLPClassifier((4,), max_iter=5, random_state=0), df, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict_proba(X[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.predict_proba(df.iloc[:1])
    with pytest.raises(ValueError, match="feature names"):
        est.predict_proba(df.iloc[:1, ::-1])


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_unfitted_model_raises_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(BackpropMLPClassifier(), method)(X[:1])
    with pytest.raises(NotFittedError):
        BackpropMLPRegressor().predict(X[:1])
