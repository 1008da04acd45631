"""Solver behaviours: L-BFGS warnings and best loss, divergence on the last
step."""

import numpy as np
import pytest
from helpers.linear_data import Y_REG, X
from skb_test_helpers import fit_quietly
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPRegressor


def test_an_overflowing_last_step_is_divergence():
    """max_iter=1: the only step overflows the weights; no epoch is left
    whose weights give a finite output."""
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), learning_rate_init=1e300,
                               max_iter=1, random_state=0)
    with pytest.raises(ValueError, match="Training diverged"):
        fit_quietly(est, X, Y_REG)
    assert not hasattr(est, "coefs_")


def test_lbfgs_worse_than_the_mean_warns():
    """float32 cannot resolve y's spread at 1e7: L-BFGS stops after two
    iterations at a loss far above the mean's.  (At 1e6 whether it stops
    before max_iter depended on the BLAS kernels' rounding.)"""
    est = BackpropMLPRegressor(hidden_layer_sizes=(50,), solver="lbfgs",
                               random_state=0)
    y = np.random.RandomState(0).randn(40) + 1e7
    with pytest.warns(ConvergenceWarning) as caught:
        est.fit(X.astype(np.float32), y)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages
    assert messages[0].startswith("y is far from zero for its spread")
    assert "worse than the" in messages[1]
    assert est.n_iter_ < est.max_iter


def test_lbfgs_that_stops_before_its_first_iteration_has_a_best_loss():
    est = BackpropMLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", tol=1e10,
                               random_state=0)
    fit_quietly(est, X, Y_REG)
    assert est.n_iter_ == 0 and est.loss_curve_ == []
    assert np.isfinite(est.loss_) and est.best_loss_ == est.loss_


def test_lbfgs_worse_than_the_mean_in_float64_blames_the_scale_not_the_dtype():
    """y at 1e-8: L-BFGS's convergence tests pass before it fits anything;
    in float64 the warning says to scale y or lower tol (not to pass X as
    float64, which it already is)."""
    est = BackpropMLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs",
                               random_state=0)
    y = (X @ np.array([1.0, -1.0, 0.5, 2.0]) + 3) * 1e-8
    with pytest.warns(ConvergenceWarning, match="worse than the") as caught:
        est.fit(X, y)
    message = str(caught[-1].message)
    assert "convergence tests (tol=0.0001) passed first" in message
    assert "lower tol" in message and "float64" not in message
