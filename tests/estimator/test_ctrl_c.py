"""Ctrl-C (SIGINT) during a stochastic fit takes effect at the end of the
running mini-batch.

The model then holds the weights and the optimizer state of the last
completed batch, together; ``n_iter_``, ``loss_curve_``, ``loss_`` and
``best_loss_`` are those of the last completed epoch, and ``t_`` counts the
rows of every completed batch (those of the interrupted epoch too).  No
step runs after the one the signal came in.  The same whether or not the
epoch's state was copied (a small network is; with the bound forced on, an
Adam epoch is not), and SIGINT's handler is back as it was.  L-BFGS is not
deferred: it keeps the last completed iteration.
"""

import pickle
import signal

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop import _training as training
from skbackprop._engine import Network
from skbackprop._engine import trainer as trainer_module


def _digits(n=200):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


class _SigintInStep:
    """Patch ``Trainer.step``: a real SIGINT comes in step number ``at``;
    keeps the weights and optimizer state right after that step."""

    def __init__(self, monkeypatch, at):
        self.calls, self.at, self.seen = 0, at, {}
        original = trainer_module.Trainer.step

        def step(trainer, flat, *args):
            self.calls += 1
            if self.calls == self.at:
                signal.raise_signal(signal.SIGINT)
            loss = original(trainer, flat, *args)
            if self.calls == self.at:
                self.seen["weights"] = flat.copy()
                self.seen["optimizer"] = pickle.loads(
                    pickle.dumps(trainer.optimizer.get_state()))
            return loss

        monkeypatch.setattr(trainer_module.Trainer, "step", step)


def _count_copies(monkeypatch):
    copies = []
    original = training.EpochCheckpoint.capture

    def capture(self, record, flat, trainer, weights=True):
        copies.append(weights)
        return original(self, record, flat, trainer, weights)

    monkeypatch.setattr(training.EpochCheckpoint, "capture", capture)
    return copies


def _interrupted_fit(est, X, y):
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user; the "
                          "model of the last completed batch is kept"):
            est.fit(X, y)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    return est


@pytest.mark.parametrize("copied", [True, False])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_ctrl_c_keeps_the_last_completed_batch(monkeypatch, solver, copied):
    X, y = _digits()
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0,
                  solver=solver)
    ref = fit_quietly(BackpropMLPClassifier(max_iter=2, **params), X, y)
    if not copied:  # the bound for a network this small: Adam keeps no copy
        monkeypatch.setattr(trainer_module, "BOUNDED_MIN_PARAMS", 0)
    copies = _count_copies(monkeypatch)
    at = 2 * 4 + 3  # the third batch of the third epoch
    probe = _SigintInStep(monkeypatch, at)
    est = _interrupted_fit(BackpropMLPClassifier(max_iter=10, **params), X, y)
    monkeypatch.undo()
    assert probe.calls == at  # no step after the interrupted one
    assert copies == [copied or solver == "sgd"] * 3  # sgd: no bound, a copy
    assert est.loss_curve_ == ref.loss_curve_ and est.loss_ == ref.loss_
    assert est.n_iter_ == 2 and est.best_loss_ == ref.best_loss_
    assert est.t_ == ref.t_ + 3 * 50  # the interrupted epoch's three batches
    flat = np.concatenate([a.ravel() for a in est.coefs_ + est.intercepts_])
    assert_array_equal(flat, probe.seen["weights"])
    assert not np.array_equal(flat, np.concatenate(
        [a.ravel() for a in ref.coefs_ + ref.intercepts_]))
    for key, value in probe.seen["optimizer"].items():
        if isinstance(value, np.ndarray):
            assert_array_equal(est._optimizer.get_state()[key], value)
        else:
            assert est._optimizer.get_state()[key] == value, key
    assert np.isfinite(est.predict_proba(X)).all()


def test_ctrl_c_between_epochs_keeps_the_whole_epoch(monkeypatch):
    """A SIGINT in the last batch of an epoch: that epoch is complete and
    counted, and the next one does not start."""
    X, y = _digits()
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    ref = fit_quietly(BackpropMLPClassifier(max_iter=3, **params), X, y)
    probe = _SigintInStep(monkeypatch, 3 * 4)
    est = _interrupted_fit(BackpropMLPClassifier(max_iter=10, **params), X, y)
    monkeypatch.undo()
    assert probe.calls == 3 * 4
    assert est.n_iter_ == 3 and est.t_ == ref.t_
    assert est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_,
                    strict=True):
        assert_array_equal(a, b)


def test_a_handler_that_does_not_raise_lets_training_go_on(monkeypatch):
    """Ctrl-C under a handler of the user's that returns: it is called (at
    the end of the batch) and the fit ends as without it."""
    X, y = _digits()
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0,
                  max_iter=3)
    ref = fit_quietly(BackpropMLPClassifier(**params), X, y)
    calls = []
    previous = signal.signal(signal.SIGINT, lambda *a: calls.append(a[0]))
    try:
        _SigintInStep(monkeypatch, 5)
        est = fit_quietly(BackpropMLPClassifier(**params), X, y)
        monkeypatch.undo()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert calls == [signal.SIGINT]
    assert est.loss_curve_ == ref.loss_curve_


def test_lbfgs_is_not_deferred(monkeypatch):
    """A SIGINT in an L-BFGS evaluation interrupts it at once: the last
    completed iteration is kept, as for a KeyboardInterrupt raised there."""
    X, y = _digits(100)
    params = dict(hidden_layer_sizes=(4,), random_state=0, solver="lbfgs")
    ref = fit_quietly(BackpropMLPRegressor(max_iter=2, **params), X, y)
    evaluations, seen = 0, []
    original = Network.data_loss_grad

    def count(net, *args, **kwargs):
        nonlocal evaluations
        evaluations += 1
        return original(net, *args, **kwargs)

    monkeypatch.setattr(Network, "data_loss_grad", count)
    fit_quietly(BackpropMLPRegressor(max_iter=3, **params), X, y)
    at, evaluations = evaluations, 0  # the third iteration's last evaluation

    def interrupt(net, *args, **kwargs):
        nonlocal evaluations
        evaluations += 1
        if evaluations == at:
            signal.raise_signal(signal.SIGINT)
            seen.append("not deferred")  # never reached
        return original(net, *args, **kwargs)

    monkeypatch.setattr(Network, "data_loss_grad", interrupt)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        est = BackpropMLPRegressor(max_iter=50, **params)
        with pytest.warns(UserWarning, match="last completed iteration"):
            est.fit(X, y)
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert seen == [] and est.n_iter_ == 2
    assert est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_,
                    strict=True):
        assert_array_equal(a, b)
