"""pickle, joblib and skops round-trips."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

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

