"""``weight_decay``: decoupled weight decay (AdamW) for 'adam' and 'sgd'."""

import pickle

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from skb_test_helpers import fit_quietly

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import kernels as _kernels

PARAMS = dict(hidden_layer_sizes=(10,), max_iter=30, random_state=0, alpha=0.0)


def _norm(est):
    return sum(float((c**2).sum()) for c in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_decay_shrinks_the_weights_and_does_not_scale_like_alpha(solver):
    norms = [_norm(fit_quietly(BackpropMLPClassifier(
        solver=solver, weight_decay=wd, **PARAMS), X, Y_IRIS))
        for wd in (0.0, 1.0, 10.0)]
    assert norms[0] > norms[1] > norms[2]
    # the decay is per step, whatever the batch's weight: doubling every
    # sample weight changes nothing (alpha's penalty would halve)
    fits = [fit_quietly(BackpropMLPClassifier(solver=solver, weight_decay=1.0,
                                              **PARAMS), X, Y_IRIS,
                        sample_weight=np.full(len(Y_IRIS), w))
            for w in (1.0, 2.0)]
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_lbfgs_refuses_it_by_name():
    with pytest.raises(ValueError, match="weight_decay is not supported with "
                                         "solver='lbfgs'.*alpha"):
        BackpropMLPRegressor(solver="lbfgs", weight_decay=0.1).fit(X, Y_IRIS)


def test_a_tiny_network_trains_it_on_the_numpy_path(monkeypatch):
    """The compiled epoch has no decay: a tiny network trained long, which
    would take it, trains on the numpy path and gets the same bits."""
    fits = []
    for threshold in (0, 10**9):
        monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", threshold)
        fits.append(fit_quietly(BackpropMLPClassifier(
            batch_size=8, weight_decay=0.5,
            **{**PARAMS, "hidden_layer_sizes": (3,)}), X, Y_IRIS))
    assert fits[0].loss_curve_ == fits[1].loss_curve_


def test_partial_fit_adopts_a_changed_decay_and_persists_it():
    est = BackpropMLPClassifier(weight_decay=0.1, **PARAMS)
    classes = np.unique(Y_IRIS)
    est.partial_fit(X, Y_IRIS, classes=classes)
    restored = pickle.loads(pickle.dumps(est))
    assert restored._optimizer.weight_decay == 0.1
    for model in (est, restored):
        model.set_params(weight_decay=0.3).partial_fit(X, Y_IRIS)
        assert model._optimizer.weight_decay == 0.3
    for a, b in zip(est.coefs_, restored.coefs_):
        np.testing.assert_array_equal(a, b)


class _FactoredClassifier(BackpropMLPClassifier):
    """An estimator on this training loop that adds optimizer options of
    its own (as the tabular estimators do): no decay on the intercepts,
    the first layer's weights frozen."""

    def _optimizer_options(self):
        n_coef = sum(c.size for c in self.coefs_)
        first = self.coefs_[0].size
        return dict(decay_factors=[(slice(n_coef, None), 0.0)],
                    lr_factors=[(slice(0, first), 0.0)])


def test_an_estimator_may_add_engine_options_and_partial_fit_keeps_them():
    est = _FactoredClassifier(weight_decay=0.5, **PARAMS)
    classes = np.unique(Y_IRIS)
    est.partial_fit(X, Y_IRIS, classes=classes)
    first = est.coefs_[0].copy()
    est.partial_fit(X, Y_IRIS)  # configure() adopts the same factors
    np.testing.assert_array_equal(est.coefs_[0], first)
    opt = est._optimizer
    assert opt.decay_factors[-1] == 0.0 and opt.lr_factors[0] == 0.0
