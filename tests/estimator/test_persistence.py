"""pickle, joblib and skops round-trips."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from helpers.digits_fits import EXTRAS, _assert_same_fit
from helpers.digits_fits import X as X_beyond_sklearn
from helpers.digits_fits import Y as Y_beyond_sklearn
from helpers.linear_data import Y_BIN
from helpers.linear_data import Y_REG as Y_REG_training_state
from helpers.linear_data import X as X_training_state
from helpers.small_fits import Y_3, _fit_for_determinism, _hash_coefs
from helpers.small_fits import Y_REG as Y_REG_reliability
from helpers.small_fits import X as X_reliability
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from skb_test_helpers import fit_quietly as _fit
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    _one_fit_at_a_time,
)

X, Y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0])


def _fitted(cls, solver, dtype=np.float64, partial=False):
    est = cls(hidden_layer_sizes=(6,), solver=solver, max_iter=15, random_state=0)
    y = Y if cls is BackpropMLPClassifier else Y_REG
    Xd = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if partial:
            kwargs = {"classes": np.unique(Y)} if cls is BackpropMLPClassifier else {}
            est.partial_fit(Xd, y, **kwargs)
            est.partial_fit(Xd, y)
        else:
            est.fit(Xd, y)
    return est


def _joblib_roundtrip(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    return joblib.load(buf)


def _same_predictions(a, b, Xd):
    np.testing.assert_array_equal(a.predict(Xd), b.predict(Xd))
    if hasattr(a, "predict_proba"):
        np.testing.assert_array_equal(a.predict_proba(Xd), b.predict_proba(Xd))


CASES = [
    (cls, solver, dtype, partial)
    for cls in (BackpropMLPClassifier, BackpropMLPRegressor)
    for solver in ("adam", "sgd", "lbfgs")
    for dtype in (np.float64, np.float32)
    for partial in ((False, True) if solver != "lbfgs" else (False,))
]


@pytest.mark.parametrize("cls, solver, dtype, partial", CASES)
def test_pickle_and_joblib_round_trips(cls, solver, dtype, partial):
    est = _fitted(cls, solver, dtype, partial)
    Xd = X.astype(dtype)
    for restored in (pickle.loads(pickle.dumps(est)), _joblib_roundtrip(est)):
        _same_predictions(est, restored, Xd)
        assert all(c.dtype == dtype for c in restored.coefs_ + restored.intercepts_)
        if solver != "lbfgs":
            # the optimizer state survives: training continues identically
            y = Y if cls is BackpropMLPClassifier else Y_REG
            a = pickle.loads(pickle.dumps(est)).partial_fit(Xd, y)
            b = restored.partial_fit(Xd, y)
            for u, v in zip(a.coefs_, b.coefs_):
                np.testing.assert_array_equal(u, v)


def test_warm_start_after_unpickling_continues_the_curve():
    est = _fitted(BackpropMLPClassifier, "adam")
    restored = pickle.loads(pickle.dumps(est)).set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        restored.fit(X, Y)
    assert restored.loss_curve_[:15] == est.loss_curve_
    assert len(restored.loss_curve_) == 30


skops_io = pytest.importorskip("skops.io")


@pytest.mark.parametrize("cls, solver, dtype, partial", CASES)
def test_skops_needs_to_trust_only_the_estimator(cls, solver, dtype, partial, tmp_path):
    est = _fitted(cls, solver, dtype, partial)
    path = tmp_path / "model.skops"
    skops_io.dump(est, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted == [f"skbackprop._mlp.{cls.__name__}"]
    restored = skops_io.load(path, trusted=untrusted)
    _same_predictions(est, restored, X.astype(dtype))
    if solver != "lbfgs":
        y = Y if cls is BackpropMLPClassifier else Y_REG
        a = pickle.loads(pickle.dumps(est)).partial_fit(X.astype(dtype), y)
        b = restored.partial_fit(X.astype(dtype), y)
        for u, v in zip(a.coefs_, b.coefs_):
            np.testing.assert_array_equal(u, v)


def test_skops_refuses_untrusted_load(tmp_path):
    path = tmp_path / "model.skops"
    skops_io.dump(_fitted(BackpropMLPClassifier, "adam"), path)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        skops_io.load(path)


@pytest.mark.parametrize("activation", [
    np.array(["relu", "tanh"]), ("relu", "tanh"), ["relu", "tanh"],
])
def test_one_activation_per_layer_in_any_sequence_round_trips(activation):
    """``activation`` accepts any array-like of names; a model fitted with a
    numpy array of them used to pickle but refuse to load."""
    est = BackpropMLPClassifier((5, 4), activation=activation, max_iter=20,
                                random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y)
    for restored in (pickle.loads(pickle.dumps(est)), _joblib_roundtrip(est)):
        np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
        assert list(restored.activation) == ["relu", "tanh"]


def test_the_fit_guard_is_released_and_never_persisted():
    est = BackpropMLPClassifier(hidden_layer_sizes=(3,), max_iter=3)
    fit_quietly(est, X_training_state, Y_BIN)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(np.where(X_training_state > 1, np.nan, X_training_state), Y_BIN)
    assert not _one_fit_at_a_time._running
    assert not any("guard" in k or "running" in k for k in vars(est))
    fit_quietly(est, X_training_state, Y_BIN)  # fits again


def test_optimizer_state_of_the_wrong_size_is_refused_at_load():
    est = fit_quietly(BackpropMLPRegressor(hidden_layer_sizes=(3,), max_iter=3),
                      X_training_state, Y_REG_training_state)
    state = est.__getstate__()
    state["_optimizer"] = dict(state["_optimizer"], m=np.zeros(3))
    with pytest.raises(ValueError, match="state.*'m'.*float vector of 19"):
        BackpropMLPRegressor.__new__(BackpropMLPRegressor).__setstate__(state)


def test_pickle_joblib_and_skops_keep_the_new_parameters(tmp_path):
    est = _fit(
        BackpropMLPClassifier(
            max_iter=3, early_stopping=True, scoring="neg_log_loss", **EXTRAS
        ),
        X_beyond_sklearn,
        Y_beyond_sklearn,
    )
    path = tmp_path / "m.joblib"
    joblib.dump(est, path)
    for loaded in (pickle.loads(pickle.dumps(est)), joblib.load(path)):
        assert loaded.get_params() == est.get_params()
        assert_array_equal(
            loaded.predict_proba(X_beyond_sklearn), est.predict_proba(X_beyond_sklearn)
        )
    sio = pytest.importorskip("skops.io")
    sio.dump(est, tmp_path / "m.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "m.skops")
    assert untrusted == ["skbackprop._mlp.BackpropMLPClassifier"]
    loaded = sio.load(tmp_path / "m.skops", trusted=untrusted)
    assert loaded.get_params() == est.get_params()
    assert_array_equal(
        loaded.predict_proba(X_beyond_sklearn), est.predict_proba(X_beyond_sklearn)
    )
    # the loaded model trains on as the original does
    _assert_same_fit(
        _fit(loaded.set_params(warm_start=True), X_beyond_sklearn, Y_beyond_sklearn),
        _fit(est.set_params(warm_start=True), X_beyond_sklearn, Y_beyond_sklearn),
    )


@pytest.mark.parametrize("kind,solver", [("clf", "adam"), ("reg", "sgd")])
def test_pickle_round_trip_then_partial_fit_identical(kind, solver):
    est = _fit_for_determinism(kind, solver)
    copy = pickle.loads(pickle.dumps(est))
    assert _hash_coefs(copy) == _hash_coefs(est)
    assert_array_equal(copy.predict(X_reliability), est.predict(X_reliability))
    y = Y_3 if kind == "clf" else Y_REG_reliability
    for _ in range(3):
        est.partial_fit(X_reliability, y)
        copy.partial_fit(X_reliability, y)
    assert _hash_coefs(copy) == _hash_coefs(est)
    assert copy.t_ == est.t_ and copy.n_iter_ == est.n_iter_
