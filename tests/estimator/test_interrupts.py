"""An interrupted or failing fit keeps the last completed epoch or the old
model."""

import pickle

import numpy as np
import pytest
from helpers.small_fits import OURS, Y_3, Y_REG, X
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet

from skbackprop import BackpropMLPRegressor
from skbackprop._engine import Network


def _with(a, idx, value):
    a = np.array(a, dtype=float)
    a[idx] = value
    return a


class _InterruptAt:
    """Replace Network.data_loss_grad (every solver's batch gradient):
    raise ``exc`` on call number ``at``."""

    def __init__(self, monkeypatch, at, exc):
        self.calls = 0
        self.at = at
        self.exc = exc
        original = Network.data_loss_grad

        def data_loss_grad(net, *args, **kwargs):
            self.calls += 1
            if self.calls == self.at:
                raise self.exc
            return original(net, *args, **kwargs)

        monkeypatch.setattr(Network, "data_loss_grad", data_loss_grad)


@pytest.mark.parametrize("kind,solver", [("clf", "adam"), ("reg", "sgd")])
def test_keyboard_interrupt_keeps_last_completed_epoch(monkeypatch, kind, solver):
    y = Y_3 if kind == "clf" else Y_REG
    params = dict(hidden_layer_sizes=(4,), random_state=0, solver=solver,
                  batch_size=20)  # one batch = one gradient call per epoch
    k = 4
    with quiet():
        ref = OURS[kind](max_iter=k - 1, **params).fit(X, y)
    _InterruptAt(monkeypatch, k, KeyboardInterrupt())
    est = OURS[kind](max_iter=50, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == k - 1
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    assert np.isfinite(est.predict(X)).all() if kind == "reg" else True
    est.predict(X)  # usable


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_failing_fit_leaves_old_model_intact(monkeypatch, kind, solver):
    y = Y_3 if kind == "clf" else Y_REG
    with quiet():
        est = OURS[kind](hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                         solver=solver, batch_size=5).fit(X, y)
    before = pickle.dumps(est)
    pred = est.predict(X)
    state = {k: (list(v) if isinstance(v, list) else v) for k, v in vars(est).items()}
    coefs = [c.copy() for c in est.coefs_ + est.intercepts_]

    _InterruptAt(monkeypatch, 3, RuntimeError("boom mid-fit"))
    est.set_params(random_state=1)  # a new fit would start elsewhere
    with pytest.raises(RuntimeError, match="boom mid-fit"), quiet():
        est.fit(X, y)
    monkeypatch.undo()
    est.set_params(random_state=0)
    assert set(vars(est)) == set(state)
    for a, b in zip(est.coefs_ + est.intercepts_, coefs):
        assert_array_equal(a, b)
    assert_array_equal(est.predict(X), pred)
    assert pickle.dumps(est) == before

    if solver != "lbfgs":  # same for a failing partial_fit mid-epoch
        _InterruptAt(monkeypatch, 2, RuntimeError("boom"))
        with pytest.raises(RuntimeError, match="boom"):
            est.partial_fit(X, y)
        monkeypatch.undo()
        assert pickle.dumps(est) == before

    # and a fit rejected by validation leaves it intact too
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(_with(X, (0, 0), np.nan), y)
    assert pickle.dumps(est) == before


def test_keyboard_interrupt_in_lbfgs_keeps_last_completed_iteration(monkeypatch):
    """As the stochastic solvers keep the last completed epoch, L-BFGS keeps
    the last completed iteration's weights (not the line search's last
    trial), with the same warning; interrupted before any iteration ends, a
    fresh model keeps its initial weights (n_iter_ == 0)."""
    params = dict(hidden_layer_sizes=(4,), random_state=0, solver="lbfgs")
    with quiet():
        ref = BackpropMLPRegressor(max_iter=3, **params).fit(X, Y_REG)
    evaluations = 0

    def count(net, *args, **kwargs):
        nonlocal evaluations
        evaluations += 1
        return original(net, *args, **kwargs)

    original = Network.data_loss_grad
    monkeypatch.setattr(Network, "data_loss_grad", count)
    with quiet():
        BackpropMLPRegressor(max_iter=4, **params).fit(X, Y_REG)
    monkeypatch.undo()
    # interrupt the fourth iteration's line search
    _InterruptAt(monkeypatch, evaluations, KeyboardInterrupt())
    est = BackpropMLPRegressor(max_iter=50, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, Y_REG)
    monkeypatch.undo()
    assert est.n_iter_ == 3 and est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    assert est.loss_ == ref.loss_

    _InterruptAt(monkeypatch, 2, KeyboardInterrupt())  # in the first iteration
    fresh = BackpropMLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs",
                                 random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        fresh.fit(X, Y_REG)
    monkeypatch.undo()
    with quiet():
        untrained = BackpropMLPRegressor(max_iter=1, **params).fit(X, Y_REG)
    assert fresh.n_iter_ == 0 and fresh.loss_curve_ == []
    assert np.isfinite(fresh.loss_) and fresh.loss_ > untrained.loss_
    assert np.isfinite(fresh.predict(X)).all()
