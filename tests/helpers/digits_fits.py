"""Helpers shared by ``estimator/test_activations.py``,
``estimator/test_dropout.py``, ``estimator/test_early_stopping.py``,
``estimator/test_persistence.py``."""

import numpy as np
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_regression

from skbackprop._engine.activations import get_activation

X_DIG, Y_DIG = load_digits(return_X_y=True)
X_DIG = X_DIG / 16.0
X, Y = X_DIG[:300], Y_DIG[:300]
X_REG, Y_REG = make_regression(n_samples=200, n_features=6, noise=1.0, random_state=0)
Y_REG = Y_REG / 100.0


def _params(est):
    return [*est.coefs_, *est.intercepts_]


def _assert_same_fit(a, b):
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_
    for p, q in zip(_params(a), _params(b), strict=True):
        assert p.dtype == q.dtype
        assert_array_equal(p, q)


def _forward(est, X):
    """The network's output recomputed in plain numpy, no dropout."""
    names = est.activation
    if isinstance(names, str):
        names = [names] * (len(est.coefs_) - 1)
    a = np.asarray(X, dtype=np.float64)
    names = [*names, est.out_activation_]
    for k, (W, b, name) in enumerate(zip(est.coefs_, est.intercepts_, names)):
        z = a @ W + b
        get_activation(name, output=k == len(names) - 1).forward(z)
        a = z
    return a


# ----------------------------------------------------------------------
# gradients
def _gradcheck_data(loss, n=12, n_features=4, n_outputs=3, seed=0):
    rng = np.random.RandomState(seed)
    X_ = rng.randn(n, n_features)
    if loss == "log_loss":
        Y_ = np.eye(n_outputs)[rng.randint(0, n_outputs, n)]
    elif loss == "binary_log_loss":
        Y_ = (rng.rand(n, n_outputs) > 0.5).astype(float)
    else:
        Y_ = np.abs(rng.randn(n, n_outputs))
    return rng, X_, Y_


# ----------------------------------------------------------------------
# composition with the rest of the estimator
EXTRAS = dict(hidden_layer_sizes=(12, 8), activation=["tanh", "relu"],
              dropout=[0.2, 0.1], random_state=0)
