"""Early stopping: on the metric of ``scoring``, restoring the best weights,
switched on after L-BFGS, zero-weight validation splits."""

import warnings

import numpy as np
import pytest
from helpers.digits_fits import X_REG, Y, _assert_same_fit
from helpers.digits_fits import Y_REG as Y_REG_beyond_sklearn
from helpers.digits_fits import X as X_beyond_sklearn
from helpers.linear_data import Y_BIN
from helpers.linear_data import Y_REG as Y_REG_training_state
from helpers.linear_data import X as X_training_state
from helpers.sklearn_comparison import BASE, _binary
from helpers.stopping_rules import X_IRIS, Y_IRIS, X
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _fit
from skb_test_helpers import fit_quietly as _quiet_fit
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, log_loss

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
)
from skbackprop import _training as training

Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.3])


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


# ----------------------------------------------------------------------
# scoring
def test_default_scoring_is_accuracy_and_r2_exactly():
    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=8,
                  random_state=0)
    default = _fit(BackpropMLPClassifier(**common), X_beyond_sklearn, Y)
    named = _fit(
        BackpropMLPClassifier(scoring="accuracy", **common), X_beyond_sklearn, Y
    )
    assert default.validation_scores_ == named.validation_scores_
    _assert_same_fit(default, named)
    default = _fit(BackpropMLPRegressor(**common), X_REG, Y_REG_beyond_sklearn)
    named = _fit(
        BackpropMLPRegressor(scoring="r2", **common), X_REG, Y_REG_beyond_sklearn
    )
    assert default.validation_scores_ == named.validation_scores_
    _assert_same_fit(default, named)


class _Spy:
    """A scorer that records what it was given."""

    def __init__(self, name):
        self.scorer, self.calls = get_scorer(name), []

    def __call__(self, est, X_, y_, sample_weight=None):
        score = self.scorer(est, X_, y_, sample_weight=sample_weight)
        self.calls.append((X_, y_, sample_weight, score))
        return score


def test_scoring_is_what_validation_scores_record():
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(Y))
    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=6,
                  n_iter_no_change=100, random_state=0)
    spy = _Spy("neg_log_loss")
    spied = _fit(
        BackpropMLPClassifier(scoring=spy, **common),
        X_beyond_sklearn,
        Y,
        sample_weight=sw,
    )
    named = _fit(
        BackpropMLPClassifier(scoring="neg_log_loss", **common),
        X_beyond_sklearn,
        Y,
        sample_weight=sw,
    )
    default = _fit(
        BackpropMLPClassifier(**common), X_beyond_sklearn, Y, sample_weight=sw
    )
    # one call per epoch, on the weighted validation split, recorded as is
    assert len(spy.calls) == 6
    assert spied.validation_scores_ == [c[3] for c in spy.calls]
    assert named.validation_scores_ == spied.validation_scores_
    X_val, y_val, sw_val, _ = spy.calls[-1]
    assert len(X_val) == len(y_val) == len(sw_val) == 30  # the 10% split
    assert all(s < 0 for s in named.validation_scores_)
    # the best epoch's weights are kept, and score as recorded
    assert named.best_validation_score_ == max(named.validation_scores_)
    assert named.best_validation_score_ == pytest.approx(
        -log_loss(y_val, named.predict_proba(X_val), sample_weight=sw_val),
        rel=1e-12)
    # the default records the weighted accuracy on the same split
    assert all(0 <= s <= 1 for s in default.validation_scores_)
    assert default.best_validation_score_ == pytest.approx(
        np.average(default.predict(X_val) == y_val, weights=sw_val), rel=1e-12)
    assert default.validation_scores_ != named.validation_scores_


def test_a_scorer_without_sample_weight_is_called_without_it():
    """The documented ``scorer(estimator, X, y)`` works when fit has sample
    weights (it gets none); a scorer that returns no number is refused by
    name instead of a TypeError from float()."""
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(Y))
    calls = []

    def plain(estimator, X_, y_):
        calls.append(len(y_))
        return float(np.mean(estimator.predict(X_) == y_))

    common = dict(hidden_layer_sizes=(10,), early_stopping=True, max_iter=4,
                  n_iter_no_change=100, random_state=0)
    est = _fit(
        BackpropMLPClassifier(scoring=plain, **common),
        X_beyond_sklearn,
        Y,
        sample_weight=sw,
    )
    unweighted = _fit(BackpropMLPClassifier(**common), X_beyond_sklearn, Y)
    assert calls == [30] * 4
    assert est.validation_scores_ == unweighted.validation_scores_
    with pytest.raises(ValueError, match=r"returned None: a scorer must return "
                                         r"a number"):
        _fit(
            BackpropMLPClassifier(scoring=lambda e, X_, y_: None, **common),
            X_beyond_sklearn,
            Y,
        )


def test_scoring_drives_the_stop_for_a_regressor():
    est = _fit(BackpropMLPRegressor(hidden_layer_sizes=(10,), early_stopping=True,
                                    scoring="neg_mean_absolute_error", max_iter=300,
                                    learning_rate_init=0.05, n_iter_no_change=3,
                                    random_state=0),
               X_REG, Y_REG_beyond_sklearn)
    scores = est.validation_scores_
    assert all(s <= 0 for s in scores)
    assert est.best_validation_score_ == max(scores)
    best = int(np.argmax(scores))
    assert est.n_iter_ == len(scores) and len(scores) - 1 - best > 3


def test_scoring_with_a_dataframe_warns_about_no_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        X_beyond_sklearn, columns=[f"f{i}" for i in range(X_beyond_sklearn.shape[1])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", category=training.ConvergenceWarning)
        est = BackpropMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True,
                                    scoring="f1_macro", max_iter=3, random_state=0)
        est.fit(df, Y)
    assert len(est.validation_scores_) == 3


def test_a_regressor_score_that_overflows_is_minus_inf_without_a_warning():
    """Poisson rates are capped just below the float's limit; squaring them
    in R^2 overflows: the score is -inf, and no RuntimeWarning escapes."""
    est = _fit(
        BackpropMLPRegressor(
            loss="poisson",
            hidden_layer_sizes=(5,),
            activation="softplus",
            max_iter=20,
            random_state=0,
        ),
        X_REG,
        np.abs(Y_REG_beyond_sklearn),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert est.score(X_REG * 1e6, np.abs(Y_REG_beyond_sklearn)) == -np.inf


def test_early_stopping_switched_on_after_lbfgs():
    est = fit_quietly(
        BackpropMLPRegressor(
            hidden_layer_sizes=(3,), solver="lbfgs", warm_start=True, max_iter=5
        ),
        X_training_state,
        Y_REG_training_state,
    )
    est.set_params(solver="adam", early_stopping=True)
    fit_quietly(est, X_training_state, Y_REG_training_state)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_zero_weight_validation_split_warns_and_trains():
    sw = np.r_[np.zeros(30), np.ones(10)]
    est = BackpropMLPClassifier(hidden_layer_sizes=(3,), early_stopping=True,
                                validation_fraction=0.1, max_iter=4,
                                random_state=1)  # a split of weight zero
    with pytest.warns(ConvergenceWarning, match="validation split .* zero weight"):
        est.fit(X_training_state, Y_BIN, sample_weight=sw)
    assert np.isnan(est.validation_scores_).all()
    assert est.n_iter_ == 4


def test_early_stopping_restores_the_best_weights():
    X, y = _binary()
    params = dict(BASE, early_stopping=True, max_iter=200, n_iter_no_change=5,
                  learning_rate_init=0.05)
    model = _quiet_fit(BackpropMLPClassifier(**params), X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ == len(model.loss_curve_)
    assert model.best_validation_score_ == max(scores)
    assert model.best_loss_ is None
    best_epoch = int(np.argmax(scores)) + 1
    # stopped n_iter_no_change + 1 epochs after the best one
    assert model.n_iter_ - best_epoch == 6
    # the kept weights are the best epoch's: the same run cut off there (same
    # split, same shuffles) ends with the same weights
    cut = _quiet_fit(BackpropMLPClassifier(**dict(params, max_iter=best_epoch)),
                     X, y)
    assert cut.n_iter_ == best_epoch
    # (without the restore, model would hold the weights of 6 epochs later)
    assert_array_equal(model.coefs_[0], cut.coefs_[0])
