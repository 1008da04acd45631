"""Property-based tests (hypothesis) over random small problems.

Whatever the shapes, activation, solver and dtype: fitting either raises a
clear error or leaves finite weights, predicted probabilities are valid
distributions, predicted labels are among ``classes_`` and regression
predictions are finite.  Runs are derandomized, so they are deterministic.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import ACTIVATIONS

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def problems(draw):
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    n_layers = draw(st.integers(0, 2))
    hidden = tuple(draw(st.integers(1, 8)) for _ in range(n_layers))
    return dict(
        n_samples=n_samples,
        n_features=n_features,
        hidden=hidden,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        solver=draw(st.sampled_from(["adam", "sgd", "lbfgs"])),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        seed=draw(st.integers(0, 2**16)),
        scale=draw(st.sampled_from([1e-3, 1.0, 1e3])),
    )


def _data(p):
    rng = np.random.RandomState(p["seed"])
    X = (rng.randn(p["n_samples"], p["n_features"]) * p["scale"]).astype(p["dtype"])
    return rng, X


def _fit(est, X, y):
    """Fit; a ValueError is an acceptable (clear) answer, anything else
    propagates.  Returns whether the model was fitted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            est.fit(X, y)
        except ValueError as exc:
            # the only errors allowed here are the documented divergence ones
            assert "diverged" in str(exc) or "finite" in str(exc), str(exc)
            assert not hasattr(est, "coefs_")  # failure-atomic
            return False
    for a in [*est.coefs_, *est.intercepts_]:
        assert np.isfinite(a).all()
        assert a.dtype == X.dtype
    return True


def _params(p):
    return dict(
        hidden_layer_sizes=p["hidden"],
        activation=p["activation"],
        solver=p["solver"],
        max_iter=8,
        random_state=p["seed"],
    )


@SETTINGS
@given(p=problems(), n_classes=st.integers(2, 4))
def test_classifier_properties(p, n_classes):
    rng, X = _data(p)
    n_classes = min(n_classes, p["n_samples"])
    # every class present at least once
    y = np.arange(p["n_samples"]) % n_classes
    rng.shuffle(y)
    clf = BackpropMLPClassifier(**_params(p))
    if not _fit(clf, X, y):
        return
    proba = clf.predict_proba(X)
    assert proba.shape == (p["n_samples"], n_classes)
    assert proba.dtype == X.dtype
    assert np.isfinite(proba).all()
    assert (proba >= 0).all() and (proba <= 1).all()
    tol = 1e-5 if X.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=tol)
    pred = clf.predict(X)
    assert np.isin(pred, clf.classes_).all()
    assert np.array_equal(clf.classes_, np.arange(n_classes))


@SETTINGS
@given(p=problems(), n_outputs=st.integers(1, 2))
def test_regressor_properties(p, n_outputs):
    rng, X = _data(p)
    y = rng.randn(p["n_samples"], n_outputs) * p["scale"]
    if n_outputs == 1:
        y = y.ravel()
    reg = BackpropMLPRegressor(**_params(p))
    if not _fit(reg, X, y):
        return
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert np.isfinite(pred).all()
