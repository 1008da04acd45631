"""``dropout_schedule``: the dropout rates scaled once per epoch by a
schedule's factor, the masks' hash unchanged."""

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from skb_test_helpers import fit_quietly

from skbackprop import BackpropMLPClassifier
from skbackprop._engine import schedule_factor
from skbackprop._engine import trainer as trainer_module

PARAMS = dict(hidden_layer_sizes=(16, 8), dropout=[0.4, 0.2], random_state=0,
              max_iter=10, batch_size=32, n_iter_no_change=100)


@pytest.fixture
def rates_seen(monkeypatch):
    """The rates each epoch trains with."""
    seen = []
    original = trainer_module.Trainer.set_dropout_rates

    def spy(self, rates):
        seen.append(list(rates))
        return original(self, rates)

    monkeypatch.setattr(trainer_module.Trainer, "set_dropout_rates", spy)
    return seen


def test_flat_cos_keeps_the_rates_then_lowers_them_to_zero(rates_seen):
    fit_quietly(BackpropMLPClassifier(dropout_schedule="flat_cos", **PARAMS),
                X, Y_IRIS)
    factors = [schedule_factor("flat_cos", e, 10) for e in range(10)]
    np.testing.assert_allclose(rates_seen, [[0.4 * f, 0.2 * f] for f in factors])
    assert factors[:6] == [1.0] * 6 and 0 < factors[-1] < 0.1


def test_the_masks_keep_their_hash_while_the_rate_is_unchanged():
    """flat_cos's first half has the full rates: those epochs are the
    unscheduled fit's, bit for bit (same masks, same steps)."""
    plain = fit_quietly(BackpropMLPClassifier(**PARAMS), X, Y_IRIS)
    scheduled = fit_quietly(BackpropMLPClassifier(dropout_schedule="flat_cos",
                                                  **PARAMS), X, Y_IRIS)
    assert scheduled.loss_curve_[:6] == plain.loss_curve_[:6]
    assert scheduled.loss_curve_[6:] != plain.loss_curve_[6:]


def test_a_rate_scheduled_to_zero_drops_nothing():
    """Past ``max_iter`` (``partial_fit`` counts the model's epochs) a
    schedule that ends at 0 trains as without dropout."""
    params = dict(PARAMS, max_iter=2)
    dropped = BackpropMLPClassifier(dropout_schedule="linear", **params)
    plain = BackpropMLPClassifier(**dict(params, dropout=0.0))
    classes = np.unique(Y_IRIS)
    for est in (dropped, plain):
        for _ in range(2):
            est.partial_fit(X, Y_IRIS, classes=classes)
    plain.coefs_ = [c.copy() for c in dropped.coefs_]
    plain.intercepts_ = [b.copy() for b in dropped.intercepts_]
    plain._optimizer = dropped._optimizer.__sklearn_array_api_convert__(
        lambda a: a)
    for est in (dropped, plain):
        est.partial_fit(X, Y_IRIS)
    assert dropped.loss_curve_[-1] == plain.loss_curve_[-1]


def test_without_dropout_the_schedule_changes_nothing():
    params = dict(PARAMS, dropout=0.0)
    plain = fit_quietly(BackpropMLPClassifier(**params), X, Y_IRIS)
    scheduled = fit_quietly(BackpropMLPClassifier(dropout_schedule="cosine",
                                                  **params), X, Y_IRIS)
    assert scheduled.loss_curve_ == plain.loss_curve_
