"""A diverging epoch is rolled back whole: weights, optimizer state and
counters are again those of the last finite epoch (sgd and adam, the numpy
path); an epoch whose state was not copied because the bound ruled
divergence out could only fail with an error, leaving the model as it was.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier
from skbackprop._engine import trainer as trainer_module


def _digits(n=200):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _state(est):
    optimizer = {k: v.copy() if isinstance(v, np.ndarray) else v
                 for k, v in est._optimizer.get_state().items()}
    return dict(weights=[a.copy() for a in est.coefs_ + est.intercepts_],
                optimizer=optimizer, loss_curve=list(est.loss_curve_),
                t=est.t_, loss=est.loss_, best_loss=est.best_loss_)


@pytest.mark.parametrize("solver,rate", [("sgd", 1e300), ("adam", 1e200)])
def test_a_diverging_epoch_is_rolled_back_whole(solver, rate):
    X, y = _digits()
    est = fit_quietly(BackpropMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=50, max_iter=2, random_state=0,
        solver=solver), X, y)
    before = _state(est)
    est.set_params(learning_rate_init=rate)  # partial_fit keeps the optimizer
    with pytest.warns(ConvergenceWarning, match="Training diverged.* the "
                      "weights of the last finite epoch are kept"):
        est.partial_fit(X, y)
    after = _state(est)
    for a, b in zip(after.pop("weights"), before.pop("weights"), strict=True):
        assert_array_equal(a, b)
    optimizer, expected = after.pop("optimizer"), before.pop("optimizer")
    for key in est._optimizer._arrays + (("t",) if solver == "adam" else ()):
        assert_array_equal(optimizer[key], expected[key])
    assert after == before and est.n_iter_ == 0
    assert np.isfinite(est.predict_proba(X)).all()


def test_an_epoch_without_a_copy_that_diverged_is_an_error(monkeypatch):
    """Were the bound wrong (forced here), no finite state would be left:
    the fit fails with the divergence error and the model is untouched."""
    X, y = _digits()
    est = fit_quietly(BackpropMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=50, max_iter=2, random_state=0,
        warm_start=True), X, y)
    saved = pickle.dumps(est)
    monkeypatch.setattr(trainer_module.Trainer, "epoch_can_diverge",
                        lambda *args: False)
    with pytest.raises(ValueError, match="^Solver produced non-finite "
                       "parameter weights.* Training diverged"):
        est.set_params(learning_rate_init=1e200).fit(X, y)
    est.set_params(learning_rate_init=1e-3)
    assert pickle.dumps(est) == saved
