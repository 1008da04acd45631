"""Issue 13's behaviours beyond the battery's cases: zero-weight batches in
the engine, settings changed between partial_fit calls, the fit guard, the
divergence check at the end of a fit, and the L-BFGS warnings."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, _one_fit_at_a_time
from skbackprop._engine import Adam, Network, make_trainer

rng = np.random.RandomState(0)
X = rng.randn(40, 4)
Y_REG = X @ np.array([1.0, -1.0, 0.5, 2.0]) + 0.1 * rng.randn(40)
Y_BIN = (X[:, 0] > 0).astype(int)


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


@pytest.mark.parametrize("solver, changes", [
    ("adam", dict(learning_rate_init=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-6)),
    ("sgd", dict(momentum=0.5, nesterovs_momentum=False, power_t=0.25,
                 learning_rate="invscaling", learning_rate_init=0.05)),
])
def test_changed_settings_update_the_optimizer_in_place(solver, changes):
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), solver=solver,
                               batch_size=10, random_state=0)
    est.partial_fit(X, Y_REG)
    ref = pickle.loads(pickle.dumps(est))
    opt = ref._optimizer
    renamed = {"nesterovs_momentum": "nesterov", "learning_rate": "lr_schedule"}
    for name, value in changes.items():  # what set_params must amount to
        setattr(opt, renamed.get(name, name), value)
    if "learning_rate_init" in changes:
        opt.learning_rate = changes["learning_rate_init"]
    ref.set_params(**changes)
    est.set_params(**changes)
    est.partial_fit(X, Y_REG)
    ref.partial_fit(X, Y_REG)
    assert type(est._optimizer) is type(ref._optimizer)
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    if solver == "adam":
        assert est._optimizer.t == 8  # the moments were kept


def test_changed_solver_gives_a_new_optimizer():
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), random_state=0)
    est.partial_fit(X, Y_REG)
    est.set_params(solver="sgd").partial_fit(X, Y_REG)
    assert type(est._optimizer).__name__ == "SGD"


def test_the_fit_guard_is_released_and_never_persisted():
    est = BackpropMLPClassifier(hidden_layer_sizes=(3,), max_iter=3)
    fit_quietly(est, X, Y_BIN)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(np.where(X > 1, np.nan, X), Y_BIN)
    assert not _one_fit_at_a_time._running
    assert not any("guard" in k or "running" in k for k in vars(est))
    fit_quietly(est, X, Y_BIN)  # fits again


def test_optimizer_state_of_the_wrong_size_is_refused_at_load():
    est = fit_quietly(BackpropMLPRegressor(hidden_layer_sizes=(3,), max_iter=3),
                      X, Y_REG)
    state = est.__getstate__()
    state["_optimizer"] = dict(state["_optimizer"], m=np.zeros(3))
    with pytest.raises(ValueError, match="state.*'m'.*float vector of 19"):
        BackpropMLPRegressor.__new__(BackpropMLPRegressor).__setstate__(state)


def test_early_stopping_switched_on_after_lbfgs():
    est = fit_quietly(BackpropMLPRegressor(hidden_layer_sizes=(3,), solver="lbfgs",
                                           warm_start=True, max_iter=5), X, Y_REG)
    est.set_params(solver="adam", early_stopping=True)
    fit_quietly(est, X, Y_REG)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None


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


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_zero_weight_validation_split_warns_and_trains():
    sw = np.r_[np.zeros(30), np.ones(10)]
    est = BackpropMLPClassifier(hidden_layer_sizes=(3,), early_stopping=True,
                                validation_fraction=0.1, max_iter=4,
                                random_state=1)  # a split of weight zero
    with pytest.warns(ConvergenceWarning, match="validation split .* zero weight"):
        est.fit(X, Y_BIN, sample_weight=sw)
    assert np.isnan(est.validation_scores_).all()
    assert est.n_iter_ == 4


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
