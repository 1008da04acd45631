"""Reliability beyond single calls: the caller's inputs are never modified,
fits are deterministic (in one process and in a fresh one), pickles resume
exactly, predict is thread-safe, an interrupted or failing fit keeps the last
good model, and the output functions stay finite on extreme logits.

The battery of single bad inputs and misuse is in ``tests/battery/``.
"""

import concurrent.futures
import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import Network
from skbackprop._engine.activations import OUTPUT_ACTIVATIONS, get_activation
from skbackprop._engine.losses import get_loss

ROOT = Path(__file__).resolve().parents[1]

# tiny seeded data
_rng = np.random.RandomState(0)
X = _rng.randn(20, 4)
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
COLS = ["a", "b", "c", "d"]

OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}


def _with(a, idx, value):
    a = np.array(a, dtype=float)
    a[idx] = value
    return a


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


# the same data, fits and hash, in a fresh interpreter (self-contained, so
# it does not depend on where this module lives)
_DETERMINISM_SCRIPT = """
import hashlib, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
warnings.simplefilter("ignore", ConvergenceWarning)
_rng = np.random.RandomState(0)
X = _rng.randn(20, 4)
Y_3 = np.arange(20) % 3
Y_REG = _rng.randn(20)
OURS = {"clf": BackpropMLPClassifier, "reg": BackpropMLPRegressor}
for kind, solver in [("clf", "adam"), ("clf", "sgd"), ("reg", "lbfgs")]:
    est = OURS[kind](hidden_layer_sizes=(5, 3), max_iter=10, random_state=42,
                     solver=solver)
    est.fit(X, Y_3 if kind == "clf" else Y_REG)
    h = hashlib.sha256()
    for a in [*est.coefs_, *est.intercepts_]:
        h.update(np.ascontiguousarray(a).tobytes())
    print(h.hexdigest())
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
             "PYTHONPATH": str(ROOT)},
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
