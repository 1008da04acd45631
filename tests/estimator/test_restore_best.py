"""``restore_best``: which epoch's weights a stochastic fit ends with --
scikit-learn's choice by default, the best validation score over a fixed
number of epochs, the lowest training loss, or the last epoch."""

import numpy as np
import pytest
from helpers.stopping_rules import Y_IRIS, X
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import make_classification

from skbackprop import BackpropMLPClassifier

SGD = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.3,
           batch_size=16, random_state=0)


# noisy labels: the validation score peaks and falls back
X_NOISY, Y_NOISY = make_classification(n_samples=300, n_features=10,
                                       flip_y=0.2, random_state=0)


def _fit(data=(X, Y_IRIS), **params):
    return fit_quietly(BackpropMLPClassifier(**{**SGD, **params}), *data)


def _assert_same_weights(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_,
                    strict=True):
        assert_array_equal(u, v)


def test_validation_score_over_a_fixed_number_of_epochs():
    noisy = (X_NOISY, Y_NOISY)
    fixed = _fit(noisy, max_iter=15, early_stopping=True,
                 n_iter_no_change=np.inf, restore_best="validation_score")
    assert fixed.n_iter_ == 15
    scores = fixed.validation_scores_
    best = int(np.argmax(scores))  # the first of the best
    assert best < 14 and scores[best] > scores[-1]  # not vacuous
    # the same epochs, stopped at the best one and kept as they are
    upto_best = _fit(noisy, max_iter=best + 1, early_stopping=True,
                     n_iter_no_change=np.inf, restore_best="last")
    _assert_same_weights(fixed, upto_best)
    auto = _fit(noisy, max_iter=15, early_stopping=True,
                n_iter_no_change=np.inf)
    _assert_same_weights(fixed, auto)  # scikit-learn's restore


def test_last_keeps_the_last_epoch_with_early_stopping():
    noisy = (X_NOISY, Y_NOISY)
    last = _fit(noisy, max_iter=15, early_stopping=True,
                n_iter_no_change=np.inf, restore_best="last")
    auto = _fit(noisy, max_iter=15, early_stopping=True,
                n_iter_no_change=np.inf)
    assert last.validation_scores_ == auto.validation_scores_
    assert last.loss_curve_ == auto.loss_curve_
    assert not np.array_equal(last.coefs_[0], auto.coefs_[0])


def test_training_loss_restores_the_lowest_loss_epoch():
    ended = _fit(max_iter=12, n_iter_no_change=100, restore_best="training_loss")
    best = int(np.argmin(ended.loss_curve_))
    assert best < 11 and ended.n_iter_ == 12
    _assert_same_weights(ended, _fit(max_iter=best + 1, n_iter_no_change=100))
    plain = _fit(max_iter=12, n_iter_no_change=100)  # 'auto': the last epoch
    assert plain.loss_curve_ == ended.loss_curve_
    assert not np.array_equal(plain.coefs_[0], ended.coefs_[0])


def test_validation_score_needs_early_stopping():
    for params in (dict(), dict(early_stopping=True, solver="lbfgs")):
        with pytest.raises(ValueError, match="restore_best='validation_score' "
                                             "needs a validation score"):
            _fit(max_iter=2, restore_best="validation_score", **params)


def test_lbfgs_keeps_its_last_iterate():
    kept = _fit(solver="lbfgs", max_iter=20, restore_best="training_loss")
    _assert_same_weights(kept, _fit(solver="lbfgs", max_iter=20))


@pytest.mark.parametrize("restore_best, kept", [
    ("training_loss", r"best epoch \(by training loss\)"),
    ("last", "last finite epoch"),
])
def test_a_divergence_says_which_weights_are_kept(restore_best, kept):
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    from skbackprop import BackpropMLPRegressor

    X_iris, y_iris = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                  learning_rate_init=1, max_iter=20, early_stopping=True,
                  random_state=0, restore_best=restore_best)
    with pytest.warns(ConvergenceWarning, match="Training diverged.* the weights "
                      f"of the {kept} are kept"):
        mlp = BackpropMLPRegressor(**params).fit(X_iris, y_iris)
    assert np.isfinite(mlp.predict(X_iris)).all()


class _Epoch:
    """What BestEpoch reads of an epoch's end."""

    def __init__(self, record, weights):
        self.record, self.weights = record, weights
        self.trainer = type("T", (), {"copy": staticmethod(np.copy)})


@pytest.mark.parametrize("ties, kept", [("first", 1.0), ("last", 3.0)])
def test_ties_keep_the_first_epoch_or_the_last(ties, kept):
    from skbackprop._fit_state import TrainingRecord
    from skbackprop._stopping_rules import BestEpoch

    for criterion in ("validation_score", "training_loss"):
        rule, record = BestEpoch(criterion, ties), TrainingRecord()
        record.restart_validation(True, None)
        for epoch, (score, loss) in enumerate([(0.5, 2.0), (0.7, 1.0),
                                               (0.6, 1.5), (0.7, 1.0)]):
            record.validation_scores.append(score)
            record.loss = loss
            rule.on_epoch_end(_Epoch(record, np.full(2, float(epoch))))
            record.best_validation_score = max(record.best_validation_score,
                                               score)
        weights = np.zeros(2)
        rule.on_fit_end(weights)
        assert (weights == kept).all(), criterion
