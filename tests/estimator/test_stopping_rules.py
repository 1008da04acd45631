"""Stopping rules, the training record and early stopping's metric.

* A rule that is not in the package (restoring the lowest-loss epoch, as
  skorch's Checkpoint would) plugs into ``stopping_rules`` and works
  without any change to the training loop.
* The epoch checkpoint copies the whole record; the loop's objects get no
  attributes after construction; the configuration is read once.
* A diverging early-stopping fit records the diverging epoch (scikit-learn's
  ``test_mlp_diverging_loss``, ported), keeping finite weights and its
  ConvergenceWarning.
* ``scoring``: a changed metric starts the validation history over on a
  warm start; standard scorers give numpy's scores on array_api_strict
  arrays; an unused scorer warns; a string score and a scorer the
  estimator cannot serve are refused before training.
"""

import warnings

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier
from skbackprop import _stopping_rules as rules
from skbackprop import _training as training
from skbackprop._fit_state import FitConfig, TrainingRecord


# ----------------------------------------------------------------------
# a rule from outside the package
class KeepLowestLossEpoch(rules.StoppingRule):
    """Test-only rule: the fit ends with the weights of its lowest training
    loss (a 'restore the best epoch' rule); never stops training."""

    def __init__(self):
        self.best_loss, self.best_weights, self.epochs_seen = np.inf, None, 0

    def on_epoch_end(self, epoch):
        self.epochs_seen += 1
        if epoch.record.loss < self.best_loss:
            self.best_loss = epoch.record.loss
            self.best_weights = epoch.trainer.copy(epoch.weights)
        return False

    def on_fit_end(self, weights):
        weights[...] = self.best_weights


def _plug_in(monkeypatch, rule):
    default = training.stopping_rules

    def with_rule(*args, **kwargs):
        return [*default(*args, **kwargs), rule]

    monkeypatch.setattr(training, "stopping_rules", with_rule)


SGD = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.3,
           batch_size=16, random_state=0, n_iter_no_change=100)


def test_a_plugged_in_rule_restores_the_lowest_loss_epoch(monkeypatch):
    plain = fit_quietly(BackpropMLPClassifier(max_iter=12, **SGD), X, Y_IRIS)
    best = int(np.argmin(plain.loss_curve_))
    assert best < 11  # the curve goes up after its minimum: not vacuous
    rule = KeepLowestLossEpoch()
    _plug_in(monkeypatch, rule)
    ruled = fit_quietly(BackpropMLPClassifier(max_iter=12, **SGD), X, Y_IRIS)
    assert rule.epochs_seen == 12
    assert ruled.loss_curve_ == plain.loss_curve_  # training is unchanged
    monkeypatch.undo()
    upto_best = fit_quietly(BackpropMLPClassifier(max_iter=best + 1, **SGD),
                            X, Y_IRIS)
    for a, b in zip(ruled.coefs_ + ruled.intercepts_,
                    upto_best.coefs_ + upto_best.intercepts_, strict=True):
        assert_array_equal(a, b)


def test_a_plugged_in_rule_can_stop_training_without_a_warning(monkeypatch):
    class StopAfterThree(rules.StoppingRule):
        def on_epoch_end(self, epoch):
            return epoch.record.n_iter == 3

    default = training.stopping_rules
    # before the epoch budget, which then does not warn
    monkeypatch.setattr(training, "stopping_rules", lambda *a: [
        *default(*a)[:-1], StopAfterThree(), default(*a)[-1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = BackpropMLPClassifier(max_iter=50, **SGD).fit(X, Y_IRIS)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3


# ----------------------------------------------------------------------
# the record, the checkpoint and the loop's objects
def test_the_checkpoint_restores_the_whole_record():
    est = fit_quietly(BackpropMLPClassifier(max_iter=3, early_stopping=True,
                                            **SGD), X, Y_IRIS)
    record = TrainingRecord.of(est)
    trainer = training.make_trainer(est._network(), est._optimizer, 10)
    flat = est._network().pack(est.coefs_, est.intercepts_)
    checkpoint = training.EpochCheckpoint().capture(record, flat, trainer)
    saved = record.copy()
    record.end_epoch(0.5, 10, verbose=False)
    record.add_validation_score(0.9, verbose=False)
    record.best_validation_score, record.no_improvement_count = 0.9, 7
    checkpoint.restore(record, flat, trainer)
    assert record == saved
    assert record.loss_curve is not saved.loss_curve  # copies, not shares
    record.publish(est)
    assert est.loss_curve_ == saved.loss_curve and est.n_iter_ == saved.n_iter


def test_the_epoch_run_gets_no_attributes_after_construction(monkeypatch):
    seen = []
    original = training._EpochRun.epochs

    def spy(run):
        before = set(vars(run))
        original(run)
        seen.append((before, set(vars(run))))

    monkeypatch.setattr(training._EpochRun, "epochs", spy)
    fit_quietly(BackpropMLPClassifier(max_iter=4, early_stopping=True, **SGD),
                X, Y_IRIS)
    assert seen and seen[0][0] == seen[0][1]


def test_the_configuration_is_read_once_and_frozen():
    est = fit_quietly(BackpropMLPClassifier(max_iter=2, alpha_scaling="batch",
                                            **SGD), X, Y_IRIS)
    config = FitConfig.from_estimator(est, 1, incremental=False)
    assert config.optimizer_settings["learning_rate_init"] == 0.3
    assert config.alpha_scaling == "batch" and config.epochs == 2
    assert FitConfig.from_estimator(est, 1, incremental=True).epochs == 1
    with pytest.raises(AttributeError):
        config.max_iter = 5
