"""With default parameters a mini-batch fit is scikit-learn's: ``alpha`` is
scaled per batch unless ``alpha_scaling="dataset"`` is asked for."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_digits, make_regression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor


def test_the_default_is_sklearns_per_batch_scaling():
    assert BackpropMLPClassifier().alpha_scaling == "batch"
    assert BackpropMLPRegressor().alpha_scaling == "batch"


@pytest.mark.parametrize("alpha", [1e-4, 10.0])
def test_default_mini_batch_fit_equals_sklearn_on_digits(alpha):
    X, y = load_digits(return_X_y=True)
    params = dict(solver="adam", batch_size=200, alpha=alpha, max_iter=15,
                  random_state=0)
    ours = fit_quietly(BackpropMLPClassifier(**params), X / 16, y)
    theirs = fit_quietly(MLPClassifier(**params), X / 16, y)
    assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 15
    assert np.abs(np.subtract(ours.loss_curve_, theirs.loss_curve_)).max() < 1e-8
    assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=0, atol=1e-8)


@pytest.mark.parametrize("alpha", [1e-4, 10.0])
def test_dataset_scaling_is_the_opt_in_and_differs(alpha):
    X, y = load_digits(return_X_y=True)
    params = dict(solver="adam", batch_size=200, alpha=alpha, max_iter=3,
                  random_state=0)
    dataset = fit_quietly(BackpropMLPClassifier(alpha_scaling="dataset", **params),
                          X / 16, y)
    theirs = fit_quietly(MLPClassifier(**params), X / 16, y)
    assert np.abs(np.subtract(dataset.loss_curve_, theirs.loss_curve_)).max() > 1e-8


def test_default_mini_batch_regressor_equals_sklearn():
    X, y = make_regression(n_samples=500, n_features=8, noise=5.0, random_state=0)
    params = dict(solver="sgd", batch_size=64, alpha=1.0, max_iter=10,
                  learning_rate_init=1e-3, random_state=0)
    ours = fit_quietly(BackpropMLPRegressor(**params), X, y / y.std())
    theirs = fit_quietly(MLPRegressor(**params), X, y / y.std())
    assert np.abs(np.subtract(ours.loss_curve_, theirs.loss_curve_)).max() < 1e-8
