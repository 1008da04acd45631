"""The battery's case type, its data, and the calls and checks cases use.

A :class:`Case` is plain data: the estimator kind, its parameters, a builder
of fresh inputs, the call, and the exact expected outcome -- an exception
type with a message regex, or a documented behaviour checked by ``check``
(often: equal to a reference fit).  ``battery/runner.py`` runs a case and
asserts, besides its outcome, what every case must hold (no RuntimeWarning,
no internal exception, inputs not mutated, failure atomicity).
"""

import atexit
import copy
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import quiet

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

# ----------------------------------------------------------------------
# tiny seeded data
_rng = np.random.RandomState(13)
X = _rng.randn(20, 4)
X32 = X.astype(np.float32)
Y_BIN = np.arange(20) % 2
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
LABELS = np.array(["a", "b"], dtype=object)[Y_BIN]
COLS = ["a", "b", "c", "d"]

# A second set, drawn from seed 0: the input-validation, parameter,
# weight and divergence cases that call ``fit_with`` & co. were settled on
# it (whether a huge learning rate diverges at the first epoch or later
# turns on the data).
_rng0 = np.random.RandomState(0)
X0 = _rng0.randn(20, 4)
Y0_BIN = np.arange(20) % 2
Y0_3 = np.arange(20) % 3
Y0_REG = _rng0.randn(20)
ONES = np.ones(20)

BASE_PARAMS = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}

TOPICS = (
    "input_validation", "input_types", "targets", "parameters", "sample_weight",
    "class_weight", "float32", "divergence", "dropout", "early_stopping",
    "warm_start", "partial_fit", "sequences", "persistence", "callbacks",
    "threads", "onnx", "gradcheck",
)


@dataclass(frozen=True)
class Case:
    """One case of the battery.

    ``data()`` builds fresh inputs (a dict); ``call(est, data)`` runs on a
    fresh estimator of ``kind`` (``"clf"``, ``"reg"``, or ``"none"`` for a
    call that needs no estimator) built with ``BASE_PARAMS | params``.
    Either ``raises`` (type or tuple) with ``match`` (regex searched in the
    message) is expected, or the call returns and ``check(est, result,
    data)`` asserts the documented behaviour.  ``warns``/``warns_match``: a
    warning that must be emitted.  ``or_raises``: a ``(type, regex)`` error
    that is the other documented answer of a case with a ``check`` (which
    one a fit gives can turn on the BLAS kernels' rounding); the estimator
    is then left unfitted.  ``extra``: exercises a skbackprop extension (not
    run against sklearn).  ``xfail``: why it fails today.  ``atomic``: the
    failing call is also made on a fitted estimator, which must come out
    unchanged (``False`` where the call fits first, or succeeds on a fitted
    estimator).  ``finite_after``: the estimator must be left with finite
    weights, whatever happened (``False`` where the case plants non-finite
    ones itself).  ``topic``: what the case is about (one of :data:`TOPICS`),
    part of its test ID, so ``pytest -k <topic>`` selects it.
    """

    id: str
    kind: str
    data: Callable[[], dict]
    call: Callable
    raises: Any = None
    match: str | None = None
    params: dict = field(default_factory=dict)
    check: Callable | None = None
    warns: type | None = None
    warns_match: str | None = None
    extra: bool = False
    xfail: str | None = None
    atomic: bool = True
    or_raises: tuple | None = None
    finite_after: bool = True
    topic: str = ""

    @property
    def test_id(self):
        """The pytest ID: ``<topic>-<id>``."""
        return f"{self.topic}-{self.id}"


def tagged(topic, cases):
    """``cases`` with ``topic`` set on those that name none themselves."""
    return [c if c.topic else replace(c, topic=topic) for c in cases]


# ----------------------------------------------------------------------
# inputs: fresh copies, snapshots, comparison
def _fresh(v):
    if callable(v):
        return v()
    if isinstance(v, (pd.DataFrame, pd.Series, pd.api.extensions.ExtensionArray)):
        return v.copy()
    if sp.issparse(v):
        return v.copy()
    if isinstance(v, np.ndarray):
        return v.copy()
    return copy.deepcopy(v)


def D(**inputs):
    """Builder of a fresh input dict (callables are called each time)."""
    return lambda: {k: _fresh(v) for k, v in inputs.items()}


# ----------------------------------------------------------------------
# fitted state: snapshot and comparison (public fitted attributes only)
def fitted_state(est):
    return {
        k: copy.deepcopy(v)
        for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("_")
    }


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_equal(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if hasattr(a, "get_params") and hasattr(b, "get_params"):  # _label_binarizer
        return type(a) is type(b)
    return a == b


def assert_state_equal(before, after):
    assert set(before) == set(after), set(before) ^ set(after)
    for k in before:
        assert _equal(before[k], after[k]), k


def assert_same_model(a, b, Xp=X, rtol=1e-10, atol=1e-12, attrs=True):
    """Same weights (to rtol) and predictions; same epoch counters."""
    assert len(a.coefs_) == len(b.coefs_), "number of layers"
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert u.shape == v.shape, f"shapes {u.shape} != {v.shape}"
        assert_allclose(u, v, rtol=rtol, atol=atol)
    if attrs:
        assert a.n_iter_ == b.n_iter_, f"n_iter_ {a.n_iter_} != {b.n_iter_}"
        # (sklearn's L-BFGS keeps no loss_curve_)
        ca, cb = getattr(a, "loss_curve_", None), getattr(b, "loss_curve_", None)
        assert (ca is None) == (cb is None), "loss_curve_"
        if ca is not None:
            assert len(ca) == len(cb), "loss_curve_ lengths"
            assert_allclose(ca, cb, rtol=max(rtol, 1e-12))
    pa, pb = a.predict(Xp), b.predict(Xp)
    if np.asarray(pa).dtype.kind in "fc":
        assert_allclose(pa, pb, rtol=max(rtol, 1e-9), atol=max(atol, 1e-9))
    else:
        assert_array_equal(pa, pb)


# ----------------------------------------------------------------------
# calls
def _kw(d, *names):
    return {k: d[k] for k in names if k in d}


def FIT(est, d):
    return est.fit(d["X"], d["y"], **_kw(d, "sample_weight"))


def PFIT(est, d):
    return est.partial_fit(d["X"], d["y"], **_kw(d, "sample_weight", "classes"))


def fit_then(method, key="Xp"):
    """fit on d["X"], d["y"]; then ``method(d[key])``."""

    def call(est, d):
        FIT(est, d)
        return getattr(est, method)(d[key])

    return call


def seq(*steps):
    """Run steps ``step(est, d)`` in order; return the last result."""

    def call(est, d):
        result = None
        for step in steps:
            result = step(est, d)
        return result

    return call


def setp(**params):
    return lambda est, d: est.set_params(**params)


def clean_fit(est, d):
    """Fit on the clean data of est's kind (quietly)."""
    y = Y_BIN if hasattr(est, "predict_proba") else Y_REG
    with quiet():
        return est.fit(X, y)


def clean_pfit(est, d):
    kw = {"classes": [0, 1]} if hasattr(est, "predict_proba") else {}
    y = Y_BIN if kw else Y_REG
    return est.partial_fit(X, y, **kw)


# ----------------------------------------------------------------------
# checks
def checks(*fs):
    def check(est, result, d):
        for f in fs:
            f(est, result, d)

    return check


def finite(est, result, d):
    """Finite weights; finite predictions of d["X"] (or X) of the right shape."""
    for a in est.coefs_ + est.intercepts_:
        assert np.isfinite(a).all()
    Xp = d.get("X", X)
    pred = est.predict(Xp)
    assert pred.shape[0] == Xp.shape[0]
    if np.asarray(pred).dtype.kind in "fc":
        assert np.isfinite(pred).all()


def same_as(ref_data, ref_params=None, call=FIT, rtol=1e-10, atol=1e-12,
            attrs=True, Xp=X):
    """The estimator equals a reference of the same class and parameters
    (updated with ``ref_params``) that ran ``call`` on ``ref_data()``."""

    def check(est, result, d):
        ref = type(est)(**{**est.get_params(), **(ref_params or {})})
        with quiet():
            call(ref, ref_data())
        assert_same_model(est, ref, Xp=Xp, rtol=rtol, atol=atol, attrs=attrs)

    return check


def attr_is(name, expected):
    def check(est, result, d):
        value = getattr(est, name)
        if isinstance(expected, np.ndarray):
            assert_array_equal(value, expected)
            assert np.asarray(value).dtype.kind == expected.dtype.kind
        else:
            assert value == expected, (name, value)

    return check


def coef_dtype(dtype):
    def check(est, result, d):
        assert all(c.dtype == dtype for c in est.coefs_ + est.intercepts_)

    return check


def that(predicate, what=""):
    """A check asserting ``predicate(est, result, data)``."""

    def check(est, result, d):
        assert predicate(est, result, d), what

    return check


def t_counts_all(n):
    """t_ counts every sample of every epoch, zero-weight ones included."""

    def check(est, result, d):
        assert est.t_ == n * est.n_iter_, (est.t_, est.n_iter_)
        assert np.isfinite(est.loss_curve_).all()

    return check


# ----------------------------------------------------------------------
# helpers for inputs
def with_value(a, idx, value, dtype=float):
    a = np.array(a, dtype=dtype)
    a[idx] = value
    return a


def readonly(a):
    def build():
        b = np.array(a, copy=True)
        b.flags.writeable = False
        return b

    return build


_TMP = tempfile.mkdtemp(prefix="skbp-rel2-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


def memmap(a, name):
    def build():
        path = os.path.join(_TMP, f"{name}.dat")
        if not os.path.exists(path):
            m = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
            m[:] = a
            m.flush()
            del m
        return np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape)

    return build


def joblib_mmap(est):
    path = os.path.join(_TMP, f"model-{id(est)}.joblib")
    joblib.dump(est, path)
    return joblib.load(path, mmap_mode="r")


def pickled(est, protocol=None):
    return pickle.loads(pickle.dumps(est, protocol=protocol))


# ----------------------------------------------------------------------
# calls and checks on the seed-0 set (``X0`` & co.)
def y0_of(kind):
    return Y0_BIN if kind == "clf" else Y0_REG


def fit_with(Xa, ya=None, **kw):
    """``est.fit(Xa, ya, **kw)``; ``ya`` defaults to the seed-0 target of
    the estimator's kind."""

    def call(est, d):
        y = y0_of("clf" if hasattr(est, "predict_proba") else "reg") if ya is None \
            else ya
        return est.fit(Xa, y, **kw)

    return call


def partial_fit_with(Xa, ya=None, **kw):
    """``est.partial_fit(Xa, ya, **kw)``, with the classes of ``Y0_BIN``
    unless given."""

    def call(est, d):
        is_clf = hasattr(est, "predict_proba")
        y = (Y0_BIN if is_clf else Y0_REG) if ya is None else ya
        if is_clf and "classes" not in kw:
            kw2 = {**kw, "classes": np.unique(Y0_BIN)}
        else:
            kw2 = kw
        return est.partial_fit(Xa, y, **kw2)

    return call


def fitted_then(method, Xp, fit_X=X0):
    """fit on ``fit_X`` and the seed-0 target; then ``method(Xp)``."""

    def call(est, d):
        y = Y0_BIN if hasattr(est, "predict_proba") else Y0_REG
        est.fit(fit_X, y)
        return getattr(est, method)(Xp)

    return call


def finite_model(est, result, d=None):
    assert all(np.isfinite(c).all() for c in est.coefs_)
    assert all(np.isfinite(b).all() for b in est.intercepts_)


def finite_predictions(n):
    def check(est, result, d=None):
        finite_model(est, result)
        assert result.shape[0] == n
        assert np.isfinite(np.asarray(result, dtype=float)).all()

    return check


def diverged_and_rolled_back(est, result, d=None):
    finite_model(est, result)
    assert est.n_iter_ < est.max_iter  # stopped at the divergence
    assert np.isfinite(est.loss_curve_).all()
