"""``label_smoothing``: the classifier trains on smoothed targets, reports
the loss against them, scores on the labels; the regressor has no such
parameter."""

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from skb_test_helpers import fit_quietly

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

PARAMS = dict(hidden_layer_sizes=(6,), alpha=0.0, random_state=0)


def _cross_entropy(Y, P):
    return float(-(Y * np.log(P)).sum(axis=1).mean())


def test_multiclass_loss_is_against_y_times_1_minus_eps_plus_eps_over_k():
    est = fit_quietly(BackpropMLPClassifier(solver="lbfgs", max_iter=50,
                                            label_smoothing=0.3, **PARAMS),
                      X, Y_IRIS)
    Y = np.eye(3)[Y_IRIS] * 0.7 + 0.1
    assert est.loss_ == pytest.approx(_cross_entropy(Y, est.predict_proba(X)),
                                      rel=1e-9)


def test_binary_targets_are_two_class_problems():
    y = (Y_IRIS == 2).astype(int)
    est = fit_quietly(BackpropMLPClassifier(solver="lbfgs", max_iter=50,
                                            label_smoothing=0.2, **PARAMS),
                      X, y)
    target = y * 0.8 + 0.1  # eps / 2 on each side
    Y = np.column_stack([1 - target, target])
    assert est.loss_ == pytest.approx(_cross_entropy(Y, est.predict_proba(X)),
                                      rel=1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_smoothing_caps_the_confidence_and_keeps_the_labels(solver):
    fits = [fit_quietly(BackpropMLPClassifier(
        solver=solver, max_iter=300, learning_rate_init=0.05,
        label_smoothing=eps, **PARAMS), X, Y_IRIS) for eps in (0.0, 0.3)]
    plain, smoothed = (f.predict_proba(X).max(axis=1).mean() for f in fits)
    assert smoothed < 0.85 < plain  # its optimum is 0.8 on the true class
    assert fits[1].score(X, Y_IRIS) > 0.9


def test_validation_scores_are_on_the_true_labels():
    est = fit_quietly(BackpropMLPClassifier(
        max_iter=40, early_stopping=True, label_smoothing=0.2,
        learning_rate_init=0.05, **PARAMS), X, Y_IRIS)
    assert max(est.validation_scores_) == est.best_validation_score_ > 0.8
    assert all(s * 15 == round(s * 15) for s in est.validation_scores_)


def test_a_multilabel_fit_smooths_each_output():
    Y = np.column_stack([Y_IRIS == 0, Y_IRIS == 2]).astype(int)
    est = fit_quietly(BackpropMLPClassifier(solver="lbfgs", max_iter=30,
                                            label_smoothing=0.1, **PARAMS),
                      X, Y)
    P = est.predict_proba(X)
    T = Y * 0.9 + 0.05
    expected = float(-(T * np.log(P) + (1 - T) * np.log(1 - P)).sum(axis=1)
                     .mean())
    assert est.loss_ == pytest.approx(expected, rel=1e-9)


def test_the_regressor_has_no_label_smoothing():
    with pytest.raises(ValueError, match="Invalid parameter 'label_smoothing'"):
        BackpropMLPRegressor().set_params(label_smoothing=0.1)
    with pytest.raises(TypeError, match="label_smoothing"):
        BackpropMLPRegressor(label_smoothing=0.1)


def test_a_dask_fit_smooths_as_the_in_memory_fit():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    params = dict(solver="lbfgs", max_iter=20, label_smoothing=0.2, **PARAMS)
    in_memory = fit_quietly(BackpropMLPClassifier(**params), X, Y_IRIS)
    with dask.config.set(scheduler="threads"):
        on_dask = fit_quietly(BackpropMLPClassifier(**params),
                              da.from_array(X, chunks=(50, -1)),
                              da.from_array(Y_IRIS, chunks=50))
    np.testing.assert_allclose(on_dask.loss_curve_, in_memory.loss_curve_,
                               rtol=1e-8)
