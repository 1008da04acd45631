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
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn import config_context
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop import _stopping_rules as rules
from skbackprop import _training as training
from skbackprop._fit_state import FitConfig, TrainingRecord

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X_IRIS)
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.3])


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


# ----------------------------------------------------------------------
# divergence with early stopping
def test_mlp_diverging_loss():
    """scikit-learn's ``test_mlp_diverging_loss`` (non-regression test for
    scikit-learn #29504), with our estimator: a diverging model does not
    raise with early stopping enabled, and its last validation score is
    NaN, a Python float."""
    mlp = BackpropMLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        alpha=0.0001,
        learning_rate="constant",
        learning_rate_init=1,
        shuffle=True,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )

    with warnings.catch_warnings():
        # RuntimeWarning: overflow encountered in matmul
        # ConvergenceWarning: Stochastic Optimizer: Maximum iteration
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_IRIS, Y_IRIS)

    # In python, float("nan") != float("nan")
    assert str(mlp.validation_scores_[-1]) == str(np.nan)
    assert isinstance(mlp.validation_scores_[-1], float)


def test_a_diverging_early_stopping_fit_keeps_finite_weights_and_warns():
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                  learning_rate_init=1, max_iter=20, early_stopping=True,
                  random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Training diverged.* the weights "
                      r"of the best epoch \(by validation score\) are kept"):
        mlp = BackpropMLPRegressor(**params).fit(X_IRIS, Y_IRIS)
    assert mlp.n_iter_ < 20  # stopped at the divergence
    scores = mlp.validation_scores_
    assert len(scores) == len(mlp.loss_curve_) == mlp.n_iter_
    assert np.isfinite(scores[:-1]).all() and np.isnan(scores[-1])
    assert mlp.best_validation_score_ == max(scores[:-1])
    assert all(np.isfinite(c).all() for c in mlp.coefs_ + mlp.intercepts_)
    assert np.isfinite(mlp.predict(X_IRIS)).all()


# ----------------------------------------------------------------------
# scoring
ES = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=6,
          learning_rate_init=0.1, n_iter_no_change=100, random_state=0,
          warm_start=True)


@pytest.mark.parametrize("Est, y, metric", [
    (BackpropMLPClassifier, Y_IRIS, "neg_log_loss"),
    (BackpropMLPRegressor, Y_REG, "neg_mean_absolute_error"),
])
def test_a_changed_scoring_starts_the_validation_history_over(Est, y, metric):
    est = fit_quietly(Est(**ES), X, y)
    default_scores = list(est.validation_scores_)
    assert est.best_validation_score_ == max(default_scores) > 0  # accuracy, R^2
    fit_quietly(est.set_params(scoring=metric), X, y)
    assert len(est.validation_scores_) == est.n_iter_ == 6
    assert max(est.validation_scores_) < 0  # only the new metric's scores
    assert est.best_validation_score_ == max(est.validation_scores_)
    # the same metric again: the history goes on, as without scoring
    fit_quietly(est, X, y)
    assert len(est.validation_scores_) == 12
    unchanged = fit_quietly(Est(**ES), X, y)
    fit_quietly(unchanged, X, y)
    assert len(unchanged.validation_scores_) == 12


@pytest.mark.parametrize("scoring", ["balanced_accuracy", "jaccard_macro",
                                     "f1_weighted", "neg_log_loss"])
def test_standard_scorers_give_numpys_scores_on_array_api_strict(scoring):
    xp = pytest.importorskip("array_api_strict")
    from skbackprop._array_api import SUPPORTED

    if not SUPPORTED:
        pytest.skip("array API input needs scikit-learn >= 1.9")
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=5,
                  scoring=scoring, random_state=0)
    ref = fit_quietly(BackpropMLPClassifier(**params), X, Y_IRIS)
    device = xp.Device("device1")
    with config_context(array_api_dispatch=True):
        est = fit_quietly(BackpropMLPClassifier(**params),
                          xp.asarray(X, device=device),
                          xp.asarray(Y_IRIS, device=device))
    assert len(est.validation_scores_) == 5
    assert_allclose(est.validation_scores_, ref.validation_scores_, rtol=1e-10)


def test_a_regressor_scorer_on_array_api_strict():
    xp = pytest.importorskip("array_api_strict")
    from skbackprop._array_api import SUPPORTED

    if not SUPPORTED:
        pytest.skip("array API input needs scikit-learn >= 1.9")
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=5,
                  scoring="explained_variance", random_state=0)
    ref = fit_quietly(BackpropMLPRegressor(**params), X, Y_REG)
    with config_context(array_api_dispatch=True):
        est = fit_quietly(BackpropMLPRegressor(**params), xp.asarray(X),
                          xp.asarray(Y_REG))
    assert_allclose(est.validation_scores_, ref.validation_scores_, rtol=1e-10)


@pytest.mark.parametrize("params, why", [
    (dict(), "early_stopping=False"),
    (dict(solver="lbfgs", early_stopping=True), "solver='lbfgs'"),
])
def test_scoring_without_early_stopping_warns(params, why):
    est = BackpropMLPClassifier(hidden_layer_sizes=(4,), max_iter=3,
                                scoring="f1_macro", random_state=0, **params)
    with pytest.warns(UserWarning, match=r"scoring='f1_macro' is ignored") as caught:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, Y_IRIS)
    assert why in str(caught[0].message)
    with pytest.warns(UserWarning, match="is ignored"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            BackpropMLPRegressor(hidden_layer_sizes=(4,), scoring="r2").partial_fit(
                X, Y_REG)


def test_scoring_with_early_stopping_does_not_warn():
    est = BackpropMLPClassifier(hidden_layer_sizes=(4,), max_iter=3,
                                scoring="f1_macro", early_stopping=True,
                                random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y_IRIS)


@pytest.mark.parametrize("returned", ["0.5", b"0.5", [0.5], None])
def test_a_scorer_returning_a_non_number_is_refused(returned):
    est = BackpropMLPClassifier(hidden_layer_sizes=(4,), max_iter=3,
                                early_stopping=True, random_state=0,
                                scoring=lambda e, X_, y_: returned)
    with pytest.raises(ValueError, match="a scorer must return a number"):
        est.fit(X, Y_IRIS)
    assert not hasattr(est, "coefs_")


def test_a_scorer_returning_numpy_numbers_is_accepted():
    est = fit_quietly(BackpropMLPClassifier(
        hidden_layer_sizes=(4,), max_iter=3, early_stopping=True, random_state=0,
        scoring=lambda e, X_, y_: np.float32(0.25)), X, Y_IRIS)
    assert est.validation_scores_ == [0.25] * 3


def test_a_probability_scorer_on_a_regressor_fails_before_training(monkeypatch):
    def trained(*args, **kwargs):
        raise AssertionError("an epoch ran")

    monkeypatch.setattr(training, "train", trained)
    est = BackpropMLPRegressor(hidden_layer_sizes=(4,), early_stopping=True,
                               scoring="neg_log_loss")
    with pytest.raises(ValueError, match="needs predict_proba, which "
                       "BackpropMLPRegressor does not have"):
        est.fit(X, Y_REG)
    assert not hasattr(est, "coefs_")
    # a classifier has predict_proba: the same scorer is accepted
    monkeypatch.undo()
    fit_quietly(BackpropMLPClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                      early_stopping=True, scoring="neg_log_loss",
                                      random_state=0), X, Y_IRIS)
