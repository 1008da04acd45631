"""``learning_rate_schedule`` and ``learning_rate_warmup``: a factor per
mini-batch step over ``max_iter`` epochs of batches."""

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from skb_test_helpers import fit_quietly

from skbackprop import BackpropMLPClassifier
from skbackprop._engine import kernels as _kernels
from skbackprop._engine import schedule_factor

PARAMS = dict(hidden_layer_sizes=(8,), batch_size=32, random_state=0,
              learning_rate_init=0.01, tol=0.0, n_iter_no_change=10**6)
BATCHES = -(-len(Y_IRIS) // 32)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_schedule_spans_max_iter_epochs_of_batches(solver):
    est = fit_quietly(BackpropMLPClassifier(
        solver=solver, max_iter=6, learning_rate_schedule="cosine", **PARAMS),
        X, Y_IRIS)
    opt = est._optimizer
    assert opt.horizon == 6 * BATCHES and opt.schedule_step == 6 * BATCHES
    last = schedule_factor("cosine", 6 * BATCHES - 1, 6 * BATCHES)
    if solver == "sgd":  # its rate stays sklearn's; the step's is scaled
        assert opt.learning_rate == 0.01
        assert opt.step_settings()[0] == 0.0  # one step past the end
    else:
        b1, b2, t = opt.beta_1, opt.beta_2, opt.t
        assert opt.learning_rate == pytest.approx(
            0.01 * last * np.sqrt(1 - b2**t) / (1 - b1**t), rel=1e-14)


def test_early_stopping_keeps_the_horizon_of_max_iter_epochs():
    est = fit_quietly(BackpropMLPClassifier(
        max_iter=50, early_stopping=True, learning_rate_schedule="linear",
        **{**PARAMS, "n_iter_no_change": 2, "tol": 1e-4}), X, Y_IRIS)
    n_train = len(Y_IRIS) - int(np.ceil(0.1 * len(Y_IRIS)))
    assert est._optimizer.horizon == 50 * -(-n_train // 32)
    assert est.n_iter_ < 50  # it stopped early, part way along


def test_a_schedule_changes_training_and_the_warm_up_starts_slow():
    plain = fit_quietly(BackpropMLPClassifier(max_iter=8, **PARAMS), X, Y_IRIS)
    warm = fit_quietly(BackpropMLPClassifier(
        max_iter=8, learning_rate_warmup=0.5, **PARAMS), X, Y_IRIS)
    # same start; the warm-up takes smaller steps, so the first epoch's loss
    # falls less
    assert warm.loss_curve_[0] > plain.loss_curve_[0]
    assert warm.loss_curve_ != plain.loss_curve_


def test_partial_fit_continues_the_schedule_and_stops_at_its_end():
    est = BackpropMLPClassifier(max_iter=3, learning_rate_schedule="cosine",
                                **PARAMS)
    classes = np.unique(Y_IRIS)
    for call in range(1, 4):
        est.partial_fit(X, Y_IRIS, classes=classes)
        assert est._optimizer.schedule_step == call * BATCHES
    before = [c.copy() for c in est.coefs_]
    est.partial_fit(X, Y_IRIS)  # past the horizon: a rate of 0
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)


def test_a_warm_start_fit_starts_the_schedule_over():
    est = BackpropMLPClassifier(max_iter=4, warm_start=True,
                                learning_rate_schedule="coslog4", **PARAMS)
    fit_quietly(est, X, Y_IRIS)
    fit_quietly(est, X, Y_IRIS)
    assert est._optimizer.schedule_step == 4 * BATCHES
    assert len(est.loss_curve_) == 8


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_compiled_epoch_follows_the_schedule(monkeypatch, solver):
    fits = []
    for threshold in (0, 10**9):
        monkeypatch.setattr(_kernels, "TINY_MIN_BATCHES", threshold)
        fits.append(fit_quietly(BackpropMLPClassifier(
            solver=solver, max_iter=5, learning_rate_schedule="coslog4",
            learning_rate_warmup=0.2, **{**PARAMS, "hidden_layer_sizes": (3,)}),
            X, Y_IRIS))
    np.testing.assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_,
                               rtol=1e-10)
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_schedule_ends_at_max_iter_without_a_convergence_warning():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = BackpropMLPClassifier(max_iter=3, learning_rate_schedule="cosine",
                                    **PARAMS).fit(X, Y_IRIS)
    assert est.n_iter_ == 3
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        BackpropMLPClassifier(max_iter=3, learning_rate_warmup=0.5,
                              **PARAMS).fit(X, Y_IRIS)
