"""Reliability: bad input and misuse get a clear answer, nothing is lost.

The battery :data:`CASES` is plain data (estimator kind, parameters, the call
to make, the expected exception and message, or a documented behaviour with
its check), so ``benchmarks/reliability_vs_sklearn.py`` can run the very same
cases against scikit-learn's MLPClassifier / MLPRegressor.

Decisions documented here:

* ``y`` with a single class: ``fit`` raises a ValueError naming the class
  problem (as most sklearn classifiers do; sklearn's MLPClassifier instead
  silently trains a constant predictor).  ``check_classifiers_one_label``
  accepts either answer.
* Huge values (1e300) in X: either a finite model or a clear ValueError
  ("Training diverged" / "L-BFGS could not find a finite loss"), never a
  RuntimeWarning nor non-finite weights.
* An extremely large learning rate: if the first epoch already diverges,
  ValueError; later, a ConvergenceWarning and the weights of the last finite
  epoch are kept.
"""

import concurrent.futures
import hashlib
import os
import pickle
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet
from sklearn.exceptions import (
    ConvergenceWarning,
    DataConversionWarning,
    NotFittedError,
)

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import Network
from skbackprop._engine.activations import OUTPUT_ACTIVATIONS, get_activation
from skbackprop._engine.losses import get_loss

ROOT = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------------
# data shared by the battery (tiny, seeded)
_rng = np.random.RandomState(0)
X = _rng.randn(20, 4)
Y_BIN = np.arange(20) % 2
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
COLS = ["a", "b", "c", "d"]
ONES = np.ones(20)

# small, fast defaults for every battery estimator
BASE_PARAMS = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)

OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}


def _with(a, idx, value):
    a = np.array(a, dtype=float)
    a[idx] = value
    return a


@dataclass(frozen=True)
class Case:
    """One battery case.

    ``call(est)`` runs on a fresh estimator ``kind`` built with
    ``BASE_PARAMS | params``.  Either ``raises`` (with ``match``, a regex on
    the message) is expected, or the call succeeds and ``check(est,
    result)`` asserts the documented behaviour.  ``warns``/``warns_match``:
    a warning that must be emitted.  ``extra``: the case exercises an
    extension over scikit-learn (not run against it).  ``or_raises``: a
    ``(type, regex)`` error that is the other documented answer of a case
    with a ``check`` (which one a fit gives can turn on the BLAS kernels'
    rounding); the estimator is then left unfitted.
    """

    id: str
    kind: str
    call: Callable
    raises: type | None = None
    match: str | None = None
    params: dict = field(default_factory=dict)
    check: Callable | None = None
    warns: type | None = None
    warns_match: str | None = None
    extra: bool = False
    or_raises: tuple | None = None


def make_estimator(case, classes=OURS):
    return classes[case.kind](**{**BASE_PARAMS, **case.params})


def _y(kind):
    return Y_BIN if kind == "clf" else Y_REG


def _fit(Xa, ya=None, **kw):
    def call(est):
        y = _y("clf" if hasattr(est, "predict_proba") else "reg") if ya is None else ya
        return est.fit(Xa, y, **kw)

    return call


def _partial_fit(Xa, ya=None, **kw):
    def call(est):
        is_clf = hasattr(est, "predict_proba")
        y = (Y_BIN if is_clf else Y_REG) if ya is None else ya
        if is_clf and "classes" not in kw:
            kw2 = {**kw, "classes": np.unique(Y_BIN)}
        else:
            kw2 = kw
        return est.partial_fit(Xa, y, **kw2)

    return call


def _fitted_then(method, Xp, fit_X=X):
    def call(est):
        y = Y_BIN if hasattr(est, "predict_proba") else Y_REG
        est.fit(fit_X, y)
        return getattr(est, method)(Xp)

    return call


def _finite_model(est, result):
    assert all(np.isfinite(c).all() for c in est.coefs_)
    assert all(np.isfinite(b).all() for b in est.intercepts_)


def _finite_predictions(n):
    def check(est, result):
        _finite_model(est, result)
        assert result.shape[0] == n
        assert np.isfinite(np.asarray(result, dtype=float)).all()

    return check


def _diverged_and_rolled_back(est, result):
    _finite_model(est, result)
    assert est.n_iter_ < est.max_iter  # stopped at the divergence
    assert np.isfinite(est.loss_curve_).all()


def _build_cases():
    cases = []
    add = cases.append
    for kind in ("clf", "reg"):
        k = kind
        # --- NaN / inf in X and y -------------------------------------
        add(Case(f"{k}-fit-nan-X", k, _fit(_with(X, (0, 0), np.nan)), ValueError,
                 "Input X contains NaN"))
        add(Case(f"{k}-fit-inf-X", k, _fit(_with(X, (0, 0), np.inf)), ValueError,
                 "Input X contains infinity"))
        add(Case(f"{k}-partial_fit-nan-X", k, _partial_fit(_with(X, (1, 2), np.nan)),
                 ValueError, "Input X contains NaN"))
        add(Case(f"{k}-fit-sparse-nan-X", k,
                 _fit(sp.csr_matrix(_with(X, (0, 0), np.nan))), ValueError,
                 "Input X contains NaN"))
        add(Case(f"{k}-predict-nan-X", k,
                 _fitted_then("predict", _with(X, (0, 0), np.nan)), ValueError,
                 "Input X contains NaN"))
        add(Case(f"{k}-fit-nan-y", k, _fit(X, _with(_y(k), 0, np.nan)), ValueError,
                 "Input y contains NaN"))
        # --- shapes -------------------------------------------------------
        add(Case(f"{k}-fit-empty-X", k, _fit(X[:0], _y(k)[:0]), ValueError,
                 r"Found array with 0 sample\(s\)"))
        add(Case(f"{k}-predict-empty-X", k, _fitted_then("predict", X[:0]),
                 ValueError, r"Found array with 0 sample\(s\)"))
        add(Case(f"{k}-fit-one-feature", k, _fit(X[:, :1]),
                 check=lambda est, r: _finite_predictions(20)(
                     est, est.predict(X[:, :1]))))
        add(Case(f"{k}-fit-inconsistent-lengths", k, _fit(X, _y(k)[:15]), ValueError,
                 "Found input variables with inconsistent numbers of samples"))
        add(Case(f"{k}-partial_fit-inconsistent-lengths", k,
                 _partial_fit(X[:10]), ValueError,
                 "Found input variables with inconsistent numbers of samples"))
        add(Case(f"{k}-fit-1d-X", k, _fit(X[:, 0]), ValueError, "Expected 2D array"))
        add(Case(f"{k}-fit-3d-X", k, _fit(X.reshape(20, 2, 2)), ValueError,
                 "Found array with dim 3"))
        add(Case(f"{k}-predict-3d-X", k, _fitted_then("predict", X.reshape(20, 2, 2)),
                 ValueError, "Found array with dim 3"))
        add(Case(f"{k}-fit-column-vector-y", k, _fit(X, _y(k).reshape(-1, 1)),
                 check=_finite_model, warns=DataConversionWarning,
                 warns_match="A column-vector y was passed"))
        # --- dtypes of X ---------------------------------------------------
        add(Case(f"{k}-fit-string-X", k, _fit(np.full((20, 4), "a")), ValueError,
                 "could not convert string to float"))
        add(Case(f"{k}-fit-dataframe-string-column", k,
                 _fit(pd.DataFrame(X, columns=COLS).assign(b="x")), ValueError,
                 "could not convert string to float"))
        add(Case(f"{k}-fit-object-X", k, _fit(np.full((20, 4), object())), TypeError,
                 "float\\(\\) argument must be"))
        add(Case(f"{k}-fit-numeric-object-X", k, _fit(X.astype(object)),
                 check=_finite_model))
        add(Case(f"{k}-fit-complex-X", k, _fit(X + 1j), ValueError,
                 "Complex data not supported"))
        # --- sample_weight -------------------------------------------------
        add(Case(f"{k}-fit-negative-sw", k, _fit(X, sample_weight=-np.ones(20)),
                 ValueError, "Negative values in data passed to sample_weight"))
        add(Case(f"{k}-partial_fit-negative-sw", k,
                 _partial_fit(X, sample_weight=_with(np.ones(20), 3, -1)),
                 ValueError, "Negative values in data passed to sample_weight"))
        add(Case(f"{k}-fit-nan-sw", k, _fit(X, sample_weight=_with(ONES, 0, np.nan)),
                 ValueError, "Input sample_weight contains NaN"))
        add(Case(f"{k}-fit-inf-sw", k, _fit(X, sample_weight=_with(ONES, 0, np.inf)),
                 ValueError, "Input sample_weight contains infinity"))
        add(Case(f"{k}-fit-zero-sw", k, _fit(X, sample_weight=np.zeros(20)),
                 ValueError, "Sample weights must contain at least one non-zero"))
        add(Case(f"{k}-fit-sw-wrong-length", k, _fit(X, sample_weight=np.ones(5)),
                 ValueError, r"sample_weight.shape == \(5,\), expected \(20,\)"))
        add(Case(f"{k}-partial_fit-sw-wrong-length", k,
                 _partial_fit(X, sample_weight=np.ones(21)),
                 ValueError, r"sample_weight.shape == \(21,\), expected \(20,\)"))
        add(Case(f"{k}-fit-string-sw", k, _fit(X, sample_weight=np.full(20, "a")),
                 ValueError,
                 "sample_weight must be numeric|could not convert string to float"))
        # --- early stopping with too few samples ---------------------------
        add(Case(f"{k}-fit-early-stopping-too-few-samples", k, _fit(X[:4], _y(k)[:4]),
                 ValueError,
                 "validation split|validation set is too small|test_size",
                 params=dict(early_stopping=True)))
        # --- predict-time misuse ----------------------------------------
        add(Case(f"{k}-predict-before-fit", k, lambda est: est.predict(X),
                 NotFittedError,
                 f"This {OURS[k].__name__} instance is not fitted yet"))
        add(Case(f"{k}-predict-wrong-n-features", k, _fitted_then("predict", X[:, :3]),
                 ValueError,
                 f"X has 3 features, but {OURS[k].__name__} is expecting 4 "
                 "features as input"))
        add(Case(f"{k}-partial_fit-wrong-n-features", k,
                 lambda est: _partial_fit(X[:, :3])(_partial_fit(X)(est)),
                 ValueError, "X has 3 features, but .* is expecting 4 features"))
        df = pd.DataFrame(X, columns=COLS)
        add(Case(f"{k}-predict-feature-name-mismatch", k,
                 _fitted_then("predict", df.rename(columns={"a": "z"}), fit_X=df),
                 ValueError, "The feature names should match those that were passed"))
        add(Case(f"{k}-predict-ndarray-after-dataframe-fit", k,
                 _fitted_then("predict", X, fit_X=df), check=_finite_predictions(20),
                 warns=UserWarning, warns_match="X does not have valid feature names"))
        add(Case(f"{k}-partial_fit-lbfgs", k, _partial_fit(X), AttributeError,
                 "has no attribute 'partial_fit'", params=dict(solver="lbfgs")))
        # --- huge values ---------------------------------------------------
        if kind == "reg":  # the identity output overflows: a clear error
            add(Case(f"{k}-predict-huge-X-1e308", k,
                     _fitted_then("predict", np.full((3, 4), 1.7e308)), ValueError,
                     "output is not finite"))
        else:  # the logistic/softmax output saturates: still a valid class
            add(Case(f"{k}-predict-huge-X-1e308", k,
                     _fitted_then("predict", _with(X, (0, 0), 1e308)),
                     check=lambda est, r: np.isin(r, est.classes_).all()))
        # --- invalid parameter values and types ---------------------------
        for name, value, msg in [
            ("hidden_layer_sizes", 0, "The 'hidden_layer_sizes' parameter"),
            ("hidden_layer_sizes", (10, 0), r"hidden_layer_sizes must be > 0"),
            ("hidden_layer_sizes", (-3,), r"hidden_layer_sizes must be > 0"),
            ("hidden_layer_sizes", (1.5,), "hidden_layer_sizes must contain positive"),
            ("hidden_layer_sizes", "ab", "The 'hidden_layer_sizes' parameter"),
            ("activation", "sigmoid", "The 'activation' parameter"),
            ("solver", "newton", "The 'solver' parameter"),
            ("learning_rate", "fast", "The 'learning_rate' parameter"),
            ("alpha", -1.0, "The 'alpha' parameter"),
            ("alpha", "0.1", "The 'alpha' parameter"),
            ("batch_size", 0, "The 'batch_size' parameter"),
            ("batch_size", 2.5, "The 'batch_size' parameter"),
            ("validation_fraction", 1.0, "The 'validation_fraction' parameter"),
            ("validation_fraction", -0.1, "The 'validation_fraction' parameter"),
            ("validation_fraction", 1.5, "The 'validation_fraction' parameter"),
            ("learning_rate_init", 0.0, "The 'learning_rate_init' parameter"),
            ("learning_rate_init", -1.0, "The 'learning_rate_init' parameter"),
            ("power_t", -0.5, "The 'power_t' parameter"),
            ("max_iter", 0, "The 'max_iter' parameter"),
            ("max_iter", 2.5, "The 'max_iter' parameter"),
            ("shuffle", "yes", "The 'shuffle' parameter"),
            ("random_state", "seed", "The 'random_state' parameter"),
            ("tol", -1e-4, "The 'tol' parameter"),
            ("warm_start", 1.5, "The 'warm_start' parameter"),
            ("momentum", 1.5, "The 'momentum' parameter"),
            ("nesterovs_momentum", "no", "The 'nesterovs_momentum' parameter"),
            ("early_stopping", "no", "The 'early_stopping' parameter"),
            ("beta_1", 1.0, "The 'beta_1' parameter"),
            ("beta_2", -0.1, "The 'beta_2' parameter"),
            ("epsilon", 0.0, "The 'epsilon' parameter"),
            ("n_iter_no_change", 0, "The 'n_iter_no_change' parameter"),
            ("max_fun", 0, "The 'max_fun' parameter"),
        ]:
            if kind == "reg" and name not in (
                "hidden_layer_sizes", "activation", "solver", "alpha"
            ):
                continue  # shared validation: the classifier covers the rest
            add(Case(f"{k}-param-{name}={value!r}", k, _fit(X), ValueError, msg,
                     params={name: value}))

    # --- classifier-only ------------------------------------------------
    c = "clf"
    add(Case("clf-fit-one-class", c, _fit(X, np.zeros(20)), ValueError,
             "only one class"))
    add(Case("clf-fit-one-sample", c, _fit(X[:1], Y_BIN[:1]), ValueError,
             "only one class"))
    add(Case("clf-partial_fit-one-class", c, _partial_fit(X, np.zeros(20), classes=[0]),
             ValueError, "at least 2 classes"))
    add(Case("clf-partial_fit-unseen-labels", c,
             lambda est: _partial_fit(X, Y_BIN + 1)(_partial_fit(X)(est)),
             ValueError, "`y` has classes not in `self.classes_`"))
    add(Case("clf-partial_fit-first-call-unseen-labels", c,
             _partial_fit(X, Y_3, classes=[0, 1]),
             ValueError, "`y` has classes not in `self.classes_`"))
    add(Case("clf-partial_fit-classes-change", c,
             lambda est: _partial_fit(X, classes=[0, 1, 2])(_partial_fit(X)(est)),
             ValueError, "is not the same as on last call to partial_fit"))
    add(Case("clf-partial_fit-no-classes", c,
             lambda est: est.partial_fit(X, Y_BIN), ValueError,
             "classes must be passed on the first call to partial_fit"))
    add(Case("clf-fit-continuous-y", c, _fit(X, Y_REG), ValueError,
             "Unknown label type"))
    add(Case("clf-partial_fit-continuous-y", c,
             lambda est: _partial_fit(X, Y_REG)(_partial_fit(X)(est)), ValueError,
             "Unknown label type"))
    add(Case("clf-warm_start-classes-change", c,
             lambda est: est.fit(X, Y_BIN).fit(X, Y_3), ValueError,
             "warm_start can only be used where `y` has the same classes",
             params=dict(warm_start=True)))
    add(Case("clf-predict_proba-before-fit", c, lambda est: est.predict_proba(X),
             NotFittedError, "This BackpropMLPClassifier instance is not fitted yet"))
    add(Case("clf-predict_proba-wrong-n-features", c,
             _fitted_then("predict_proba", X[:, :3]), ValueError,
             "X has 3 features, but BackpropMLPClassifier is expecting 4"))
    add(Case("clf-param-class_weight='heavy'", c, _fit(X), ValueError,
             "The 'class_weight' parameter", params=dict(class_weight="heavy"),
             extra=True))
    add(Case("clf-partial_fit-class_weight-balanced", c, _partial_fit(X), ValueError,
             "class_weight='balanced' is not supported for partial_fit",
             params=dict(class_weight="balanced"), extra=True))
    for solver in ("adam", "sgd"):
        add(Case(f"clf-fit-huge-X-1e300-{solver}", c, _fit(X * 1e300),
                 check=lambda est, r: _finite_predictions(20)(
                     est, est.predict(X * 1e300)),
                 params=dict(solver=solver),
                 or_raises=(ValueError, "^Solver produced non-finite parameter "
                            "weights.* Training diverged")))
    add(Case("clf-fit-huge-X-1e300-lbfgs", c, _fit(X * 1e300), ValueError,
             "L-BFGS could not find a finite loss", params=dict(solver="lbfgs")))
    add(Case("clf-fit-huge-learning-rate", c, _fit(X),
             check=_diverged_and_rolled_back, warns=ConvergenceWarning,
             warns_match="Training diverged",
             params=dict(learning_rate_init=1e200, max_iter=20)))

    # --- regressor-only -------------------------------------------------
    r = "reg"
    add(Case("reg-fit-inf-y", r, _fit(X, _with(Y_REG, 0, np.inf)), ValueError,
             "Input y contains infinity"))
    add(Case("reg-fit-one-sample", r, _fit(X[:1], Y_REG[:1]),
             check=lambda est, res: _finite_predictions(3)(est, est.predict(X[:3]))))
    add(Case("reg-fit-poisson-negative-y", r, _fit(X, Y_REG), ValueError,
             "Some value\\(s\\) of y are negative which is not allowed for "
             "Poisson regression", params=dict(loss="poisson")))
    add(Case("reg-partial_fit-poisson-negative-y", r, _partial_fit(X, Y_REG),
             ValueError, "Some value\\(s\\) of y are negative",
             params=dict(loss="poisson")))
    add(Case("reg-partial_fit-n-outputs-change", r,
             lambda est: est.partial_fit(X, Y_REG).partial_fit(X, np.c_[Y_REG, Y_REG]),
             ValueError, "y has 2 outputs but the model was fitted with 1"))
    add(Case("reg-param-loss='huber'", r, _fit(X), ValueError, "The 'loss' parameter",
             params=dict(loss="huber")))
    for solver in ("adam", "sgd"):
        add(Case(f"reg-fit-huge-X-1e300-{solver}", r, _fit(X * 1e300), ValueError,
                 "Training diverged", params=dict(solver=solver)))
    add(Case("reg-fit-huge-X-1e300-lbfgs", r, _fit(X * 1e300), ValueError,
             "L-BFGS could not find a finite loss", params=dict(solver="lbfgs")))
    add(Case("reg-predict-huge-X-1e300", r, _fitted_then("predict", X * 1e300),
             check=_finite_predictions(20)))
    add(Case("reg-fit-huge-learning-rate-later-epoch", r, _fit(X),
             check=_diverged_and_rolled_back, warns=ConvergenceWarning,
             warns_match="Training diverged",
             params=dict(solver="sgd", learning_rate_init=1e10, max_iter=20)))
    add(Case("reg-fit-huge-learning-rate-first-epoch", r, _fit(X), ValueError,
             "Training diverged",
             params=dict(solver="sgd", learning_rate_init=1e300, max_iter=20,
                         batch_size=5)))
    return cases


CASES = _build_cases()


def run_case(case, classes=OURS):
    """Run one case; return ``(est, result, exception, warnings)``.

    Nothing is asserted: the test and the sklearn comparison judge the
    outcome.  Every warning is recorded.
    """
    est = make_estimator(case, classes)
    result = exc = None
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            try:
                result = case.call(est)
            except Exception as e:  # noqa: BLE001 - judged by the caller
                exc = e
    return est, result, exc, rec


def test_battery_ids_unique_and_count():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_battery(case):
    est, result, exc, rec = run_case(case)
    runtime = [w for w in rec if issubclass(w.category, RuntimeWarning)]
    assert not runtime, [str(w.message) for w in runtime]
    # a warning that was neither expected nor a ConvergenceWarning fails
    allowed = (ConvergenceWarning,) + ((case.warns,) if case.warns else ())
    unexpected = [w for w in rec if not issubclass(w.category, allowed)]
    assert not unexpected, [str(w.message) for w in unexpected]
    if case.warns:
        assert any(
            issubclass(w.category, case.warns)
            and (case.warns_match is None or _search(case.warns_match, w.message))
            for w in rec
        ), [str(w.message) for w in rec]
    if exc is not None and is_other_answer(case, exc):
        assert not hasattr(est, "coefs_")
    elif case.raises is not None:
        assert exc is not None, f"expected {case.raises.__name__}, got no error"
        assert isinstance(exc, case.raises), repr(exc)
        assert _search(case.match, exc), str(exc)
    else:
        if exc is not None:
            raise exc
        case.check(est, result)
    # whatever happened, no model with non-finite weights is left behind
    if hasattr(est, "coefs_"):
        _finite_model(est, None)


def is_other_answer(case, exc):
    """Whether ``exc`` is the case's other documented answer (``or_raises``)."""
    if case.or_raises is None:
        return False
    kind, pattern = case.or_raises
    return isinstance(exc, kind) and _search(pattern, exc)


def _search(pattern, obj):
    import re

    return re.search(pattern, str(obj)) is not None


# ----------------------------------------------------------------------
# Guarantees
def _snapshot(obj):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True)
    if sp.issparse(obj):
        return obj.copy()
    return np.array(obj, copy=True, order="K")


def _assert_same(before, after):
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(before, after)
    elif sp.issparse(before):
        assert (before != after).nnz == 0
        assert before.format == after.format
    else:
        assert before.dtype == after.dtype
        assert before.flags.f_contiguous == after.flags.f_contiguous
        assert_array_equal(before, after)


_INPUT_KINDS = {
    "float64": lambda: X.copy(),
    "float32": lambda: X.astype(np.float32),
    "fortran": lambda: np.asfortranarray(X),
    "csr": lambda: sp.csr_matrix(X),
    "csc": lambda: sp.csc_matrix(X),
    "dataframe": lambda: pd.DataFrame(X, columns=COLS),
}


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("input_kind", list(_INPUT_KINDS))
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_inputs_never_modified(kind, input_kind, solver):
    Xi = _INPUT_KINDS[input_kind]()
    y = (Y_3 if kind == "clf" else Y_REG).copy()
    if input_kind == "dataframe":
        y = pd.Series(y, name="target")
    elif input_kind == "float32" and kind == "reg":
        y = y.astype(np.float32)
    sw = np.linspace(0.5, 2.0, 20)
    inputs = [Xi, y, sw]
    before = [_snapshot(a) for a in inputs]
    est = OURS[kind](hidden_layer_sizes=(3,), max_iter=3, random_state=0,
                     solver=solver)
    with quiet():
        est.fit(Xi, y, sample_weight=sw)
        if solver != "lbfgs":
            kw = {"classes": np.unique(Y_3)} if kind == "clf" else {}
            est.partial_fit(Xi, y, sample_weight=sw, **kw)
        est.predict(Xi)
        if kind == "clf":
            est.predict_proba(Xi)
            est.predict_log_proba(Xi)
        est.score(Xi, y, sample_weight=sw)
    for b, a in zip(before, inputs):
        _assert_same(b, a)


def _hash_coefs(est):
    h = hashlib.sha256()
    for a in [*est.coefs_, *est.intercepts_]:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


_DETERMINISM_SCRIPT = """
import hashlib, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from test_reliability import X, Y_3, Y_REG, OURS, _hash_coefs
warnings.simplefilter("ignore", ConvergenceWarning)
for kind, solver in [("clf", "adam"), ("clf", "sgd"), ("reg", "lbfgs")]:
    est = OURS[kind](hidden_layer_sizes=(5, 3), max_iter=10, random_state=42,
                     solver=solver)
    est.fit(X, Y_3 if kind == "clf" else Y_REG)
    print(_hash_coefs(est))
"""


def _fit_for_determinism(kind, solver, seed=42):
    est = OURS[kind](hidden_layer_sizes=(5, 3), max_iter=10, random_state=seed,
                     solver=solver)
    with quiet():
        return est.fit(X, Y_3 if kind == "clf" else Y_REG)


_DET_CONFIGS = [("clf", "adam"), ("clf", "sgd"), ("reg", "lbfgs")]


@pytest.mark.slow  # a fresh interpreter
def test_determinism_refit_and_fresh_process():
    in_process = []
    for kind, solver in _DET_CONFIGS:
        a = _fit_for_determinism(kind, solver)
        b = _fit_for_determinism(kind, solver)
        # refitting the same estimator too
        with quiet():
            a_hash = _hash_coefs(a)
            a.fit(X, Y_3 if kind == "clf" else Y_REG)
        assert _hash_coefs(a) == a_hash == _hash_coefs(b)
        in_process.append(a_hash)
    proc = subprocess.run(
        [sys.executable, "-c", _DETERMINISM_SCRIPT],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={**os.environ,
             "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
    )
    assert proc.stdout.split() == in_process


@pytest.mark.parametrize("kind,solver", _DET_CONFIGS)
def test_different_seeds_differ(kind, solver):
    a = _fit_for_determinism(kind, solver, seed=1)
    b = _fit_for_determinism(kind, solver, seed=2)
    assert _hash_coefs(a) != _hash_coefs(b)


@pytest.mark.parametrize("kind,solver", [("clf", "adam"), ("reg", "sgd")])
def test_pickle_round_trip_then_partial_fit_identical(kind, solver):
    est = _fit_for_determinism(kind, solver)
    copy = pickle.loads(pickle.dumps(est))
    assert _hash_coefs(copy) == _hash_coefs(est)
    assert_array_equal(copy.predict(X), est.predict(X))
    y = Y_3 if kind == "clf" else Y_REG
    for _ in range(3):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    assert _hash_coefs(copy) == _hash_coefs(est)
    assert copy.t_ == est.t_ and copy.n_iter_ == est.n_iter_


def test_thread_safe_predict():
    Xb = np.random.RandomState(3).randn(300, 4)
    with quiet():
        clf = BackpropMLPClassifier(hidden_layer_sizes=(16, 8), max_iter=20,
                                    random_state=0).fit(X, Y_3)
        reg = BackpropMLPRegressor(hidden_layer_sizes=(16,), max_iter=20,
                                   random_state=0).fit(X, Y_REG)
    # different batch sizes per call, so a shared buffer would be caught
    chunks = [Xb[: 10 + 7 * (i % 40)] for i in range(200)]
    methods = [clf.predict, clf.predict_proba, reg.predict]
    serial = [[m(c) for c in chunks] for m in methods]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for m, expected in zip(methods, serial):
            got = list(pool.map(m, chunks))
            for g, e in zip(got, expected):
                assert_array_equal(g, e)


class _InterruptAt:
    """Replace Network.data_loss_grad (every solver's batch gradient):
    raise ``exc`` on call number ``at``."""

    def __init__(self, monkeypatch, at, exc):
        self.calls = 0
        self.at = at
        self.exc = exc
        original = Network.data_loss_grad

        def data_loss_grad(net, *args, **kwargs):
            self.calls += 1
            if self.calls == self.at:
                raise self.exc
            return original(net, *args, **kwargs)

        monkeypatch.setattr(Network, "data_loss_grad", data_loss_grad)


@pytest.mark.parametrize("kind,solver", [("clf", "adam"), ("reg", "sgd")])
def test_keyboard_interrupt_keeps_last_completed_epoch(monkeypatch, kind, solver):
    y = Y_3 if kind == "clf" else Y_REG
    params = dict(hidden_layer_sizes=(4,), random_state=0, solver=solver,
                  batch_size=20)  # one batch = one gradient call per epoch
    k = 4
    with quiet():
        ref = OURS[kind](max_iter=k - 1, **params).fit(X, y)
    _InterruptAt(monkeypatch, k, KeyboardInterrupt())
    est = OURS[kind](max_iter=50, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == k - 1
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    assert np.isfinite(est.predict(X)).all() if kind == "reg" else True
    est.predict(X)  # usable


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_failing_fit_leaves_old_model_intact(monkeypatch, kind, solver):
    y = Y_3 if kind == "clf" else Y_REG
    with quiet():
        est = OURS[kind](hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                         solver=solver, batch_size=5).fit(X, y)
    before = pickle.dumps(est)
    pred = est.predict(X)
    state = {k: (list(v) if isinstance(v, list) else v) for k, v in vars(est).items()}
    coefs = [c.copy() for c in est.coefs_ + est.intercepts_]

    _InterruptAt(monkeypatch, 3, RuntimeError("boom mid-fit"))
    est.set_params(random_state=1)  # a new fit would start elsewhere
    with pytest.raises(RuntimeError, match="boom mid-fit"), quiet():
        est.fit(X, y)
    monkeypatch.undo()
    est.set_params(random_state=0)
    assert set(vars(est)) == set(state)
    for a, b in zip(est.coefs_ + est.intercepts_, coefs):
        assert_array_equal(a, b)
    assert_array_equal(est.predict(X), pred)
    assert pickle.dumps(est) == before

    if solver != "lbfgs":  # same for a failing partial_fit mid-epoch
        _InterruptAt(monkeypatch, 2, RuntimeError("boom"))
        with pytest.raises(RuntimeError, match="boom"):
            est.partial_fit(X, y)
        monkeypatch.undo()
        assert pickle.dumps(est) == before

    # and a fit rejected by validation leaves it intact too
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(_with(X, (0, 0), np.nan), y)
    assert pickle.dumps(est) == before


def test_numerical_stability_extreme_logits():
    # any overflow, invalid operation or division by zero raises here
    # (underflow to 0 is exact enough for probabilities)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for dtype in (np.float32, np.float64):
            Z = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
            logistic = Z.copy()
            get_activation("logistic").forward(logistic)
            assert np.isfinite(logistic).all()
            assert logistic.min() >= 0 and logistic.max() <= 1
            softmax = Z.copy()
            OUTPUT_ACTIVATIONS["softmax"].forward(softmax)
            assert np.isfinite(softmax).all()
            np.testing.assert_allclose(softmax.sum(axis=1), 1, rtol=1e-6)
            Y = np.array([[1, 0, 0], [0, 0, 1]], dtype=dtype)  # the wrong classes
            for loss, A in [("log_loss", softmax), ("binary_log_loss", logistic)]:
                value = get_loss(loss).value(A, Y, None)
                assert np.isfinite(value) and value > 0
            for name in ("tanh", "softplus", "elu", "gelu", "relu", "leaky_relu"):
                A = Z.copy()
                get_activation(name).forward(A)
                assert np.isfinite(A).all(), name
            rate = Z.copy()
            OUTPUT_ACTIVATIONS["exp"].forward(rate)
            assert np.isfinite(rate).all()  # clipped below overflow


def test_keyboard_interrupt_in_lbfgs_keeps_last_completed_iteration(monkeypatch):
    """As the stochastic solvers keep the last completed epoch, L-BFGS keeps
    the last completed iteration's weights (not the line search's last
    trial), with the same warning; interrupted before any iteration ends, a
    fresh model keeps its initial weights (n_iter_ == 0)."""
    params = dict(hidden_layer_sizes=(4,), random_state=0, solver="lbfgs")
    with quiet():
        ref = BackpropMLPRegressor(max_iter=3, **params).fit(X, Y_REG)
    evaluations = 0

    def count(net, *args, **kwargs):
        nonlocal evaluations
        evaluations += 1
        return original(net, *args, **kwargs)

    original = Network.data_loss_grad
    monkeypatch.setattr(Network, "data_loss_grad", count)
    with quiet():
        BackpropMLPRegressor(max_iter=4, **params).fit(X, Y_REG)
    monkeypatch.undo()
    # interrupt the fourth iteration's line search
    _InterruptAt(monkeypatch, evaluations, KeyboardInterrupt())
    est = BackpropMLPRegressor(max_iter=50, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, Y_REG)
    monkeypatch.undo()
    assert est.n_iter_ == 3 and est.loss_curve_ == ref.loss_curve_
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_array_equal(a, b)
    assert est.loss_ == ref.loss_

    _InterruptAt(monkeypatch, 2, KeyboardInterrupt())  # in the first iteration
    fresh = BackpropMLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs",
                                 random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        fresh.fit(X, Y_REG)
    monkeypatch.undo()
    with quiet():
        untrained = BackpropMLPRegressor(max_iter=1, **params).fit(X, Y_REG)
    assert fresh.n_iter_ == 0 and fresh.loss_curve_ == []
    assert np.isfinite(fresh.loss_) and fresh.loss_ > untrained.loss_
    assert np.isfinite(fresh.predict(X)).all()
