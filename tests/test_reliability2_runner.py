"""Reliability, round 2 (issue 13): the case format and the runner.

Every case of the second battery is plain data (:class:`Case`): the
estimator kind, its parameters, a builder of fresh inputs, the call, and the
exact expected outcome -- an exception type with a message regex, or a
documented behaviour checked by ``check`` (often: equal to a reference fit).
The runner also asserts, for every case:

* no RuntimeWarning escapes, and no warning other than ConvergenceWarning
  and the case's expected warning;
* no exception other than the expected one (so no internal ZeroDivisionError,
  KeyError, AttributeError, IndexError, TypeError, OverflowError or
  FloatingPointError) reaches the user;
* the caller's inputs are not mutated;
* failure atomicity: a failing call made on a previously fitted estimator
  leaves its fitted attributes and predictions unchanged.

The cases live in ``tests/test_reliability2_inputs.py`` (inputs, weights,
parameters, warm starts, sequences, persistence) and
``tests/test_reliability2_state.py`` (callbacks, interrupts, threads, loaded
state, ONNX, gradcheck); ``tests/test_reliability2.py`` runs them, and
``benchmarks/reliability_vs_sklearn.py`` runs the cases that are not
``extra`` against scikit-learn's MLP too.  This module defines no test.
"""

import atexit
import copy
import os
import pickle
import re
import shutil
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import quiet
from sklearn.exceptions import ConvergenceWarning

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

BASE_PARAMS = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}

# exception types that mean "crashed inside" unless a case expects them
INTERNAL = (
    ZeroDivisionError,
    KeyError,
    AttributeError,
    IndexError,
    TypeError,
    OverflowError,
    FloatingPointError,
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
    warning that must be emitted.  ``extra``: exercises a skbackprop
    extension (not run against sklearn).  ``xfail``: why it fails today.
    ``atomic``: the failing call is also made on a fitted estimator, which
    must come out unchanged.
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


@dataclass
class Outcome:
    est: Any
    result: Any
    exc: BaseException | None
    warnings: list
    mutated: list
    data: dict


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


def _snapshot(v):
    if isinstance(v, (pd.DataFrame, pd.Series)):
        return v.copy(deep=True)
    if isinstance(v, pd.api.extensions.ExtensionArray):
        return v.copy()
    if sp.issparse(v):
        return v.copy()
    if isinstance(v, np.ndarray):
        return np.array(v, copy=True, order="K")
    try:
        return copy.deepcopy(v)
    except Exception:  # noqa: BLE001 - not comparable, e.g. an estimator
        return None


def _same_input(before, after):
    if before is None:
        return True
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(before, after)
    elif isinstance(before, pd.api.extensions.ExtensionArray):
        pd.testing.assert_extension_array_equal(before, after)
    elif sp.issparse(before):
        assert before.format == after.format and before.dtype == after.dtype
        assert (abs(before - after)).nnz == 0 or not np.any(
            (before != after).toarray()
        )
    elif isinstance(before, np.ndarray):
        assert before.dtype == after.dtype and before.shape == after.shape
        if before.dtype.kind == "O":
            assert all(
                (a is b) or (a == b) or (a != a and b != b)
                for a, b in zip(before.ravel(), np.asarray(after).ravel())
            )
        else:
            assert_array_equal(before, after)
    elif isinstance(before, (list, tuple, dict, int, float, str)):
        assert before == after or repr(before) == repr(after)
    return True


def _mutated(before, data):
    bad = []
    for k, v in before.items():
        try:
            _same_input(v, data[k])
        except AssertionError:
            bad.append(k)
    return bad


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
# the runner
def make_estimator(case, classes=OURS):
    if case.kind == "none":
        return None
    return classes[case.kind](**{**BASE_PARAMS, **case.params})


def run_case(case, classes=OURS, est=None):
    """Run one case; record everything, assert nothing."""
    data = case.data()
    before = {k: _snapshot(v) for k, v in data.items()}
    if est is None:
        est = make_estimator(case, classes)
    result = exc = None
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            try:
                result = case.call(est, data)
            except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001
                exc = e
    return Outcome(est, result, exc, list(rec), _mutated(before, data), data)


def _search(pattern, obj):
    return pattern is None or re.search(pattern, str(obj)) is not None


def describe(exc):
    """``Type: message @ file:line`` of where ``exc`` was raised."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" @ {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {str(exc)[:300]}{where}"


def assert_outcome(case, out):
    # failures are reported as one-line messages, without chaining the
    # original exception: formatting deep tracebacks for every xfail case
    # would cost more than running the battery
    __tracebackhide__ = True
    runtime = [w for w in out.warnings if issubclass(w.category, RuntimeWarning)]
    assert not runtime, [str(w.message) for w in runtime]
    allowed = (ConvergenceWarning,) + ((case.warns,) if case.warns else ())
    unexpected = [w for w in out.warnings if not issubclass(w.category, allowed)]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]
    if case.warns:
        assert any(
            issubclass(w.category, case.warns) and _search(case.warns_match, w.message)
            for w in out.warnings
        ), [str(w.message) for w in out.warnings]
    if case.raises is not None:
        assert out.exc is not None, f"expected {case.raises}, got no error"
        if not isinstance(out.exc, case.raises):
            raise AssertionError(f"expected {case.raises}, got {describe(out.exc)}")
        assert _search(case.match, out.exc), str(out.exc)
    else:
        if out.exc is not None:
            raise AssertionError(f"unexpected {describe(out.exc)}")
        if case.check is not None:
            try:
                case.check(out.est, out.result, out.data)
            except Exception as exc:  # noqa: BLE001 - reported in one line
                raise AssertionError(f"check failed: {describe(exc)}") from None
    assert not out.mutated, f"inputs mutated: {out.mutated}"


def assert_atomic(case):
    """The failing call, made on a fitted estimator, changes nothing."""
    __tracebackhide__ = True
    if case.raises is None or not case.atomic or case.kind == "none":
        return
    est = OURS[case.kind](**BASE_PARAMS)
    clean_fit(est, None)
    est.set_params(**case.params)
    state, pred = fitted_state(est), est.predict(X)
    out = run_case(case, est=est)
    assert out.exc is not None, "the call succeeded on a fitted estimator"
    assert not isinstance(out.exc, INTERNAL) or isinstance(out.exc, case.raises)
    assert_state_equal(state, fitted_state(est))
    assert_array_equal(est.predict(X), pred)


def params_for(cases):
    out = []
    for c in cases:
        marks = ()
        if c.xfail:
            marks = (pytest.mark.xfail(strict=True, reason=f"issue 13: {c.xfail}"),)
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def check_case(case):
    __tracebackhide__ = True
    assert_outcome(case, run_case(case))
    assert_atomic(case)


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
