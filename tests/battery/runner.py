"""The battery's runner: run one case, record everything, judge it.

Besides the case's own outcome, every case must hold:

* no RuntimeWarning escapes, and no warning other than ConvergenceWarning
  and the case's expected warning;
* no exception other than the expected one (so no internal ZeroDivisionError,
  KeyError, AttributeError, IndexError, TypeError, OverflowError or
  FloatingPointError) reaches the user;
* the caller's inputs are not mutated;
* no model with non-finite weights is left behind;
* failure atomicity: a failing call made on a previously fitted estimator
  leaves its fitted attributes and predictions unchanged.
"""

import copy
import os
import re
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from battery.case import (
    BASE_PARAMS,
    OURS,
    X,
    assert_state_equal,
    clean_fit,
    fitted_state,
)

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


@dataclass
class Outcome:
    est: Any
    result: Any
    exc: BaseException | None
    warnings: list
    mutated: list
    data: dict


# ----------------------------------------------------------------------
# inputs: snapshots, comparison
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
    if out.exc is not None and is_other_answer(case, out.exc):
        assert not hasattr(out.est, "coefs_"), "refused, yet left a model"
    elif case.raises is not None:
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
    # whatever happened, no model with non-finite weights is left behind
    if case.finite_after and hasattr(out.est, "coefs_"):
        for a in [*out.est.coefs_, *getattr(out.est, "intercepts_", [])]:
            assert np.isfinite(a).all(), "non-finite weights left behind"


def is_other_answer(case, exc):
    """Whether ``exc`` is the case's other documented answer (``or_raises``)."""
    if case.or_raises is None:
        return False
    kind, pattern = case.or_raises
    return isinstance(exc, kind) and _search(pattern, exc)


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
    """One ``pytest.param`` per case, with its ID ``<topic>-<id>``; a case
    with ``xfail`` is a strict xfail, so a fix flips it."""
    out = []
    for c in cases:
        marks = ()
        if c.xfail:
            marks = (pytest.mark.xfail(strict=True, reason=c.xfail),)
        out.append(pytest.param(c, id=c.test_id, marks=marks))
    return out


def check_case(case):
    """Assert the case's outcome, what every case must hold, and (for a
    failing call) atomicity."""
    __tracebackhide__ = True
    assert_outcome(case, run_case(case))
    assert_atomic(case)


