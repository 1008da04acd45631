"""Reliability, round 2 (issue 13): callbacks, interrupts, threads, loading
state, ONNX export and gradcheck.

Cases only (:data:`CASES`, run by ``tests/test_reliability2.py``), in the
format of ``tests/test_reliability2_runner.py`` (no RuntimeWarning, no
internal exception, inputs not mutated, exact outcome).  All of these
exercise skbackprop's own surface (``sklearn.callback`` support, its pickled
state, ``to_onnx``, ``gradcheck``), so they are ``extra`` for the comparison
with sklearn.

Policies asserted here:

* A KeyboardInterrupt raised by a callback at the end of epoch k leaves the
  model wholly at epoch k-1 (``n_iter_``, ``loss_curve_``, ``loss_``, ``t_``,
  weights, optimizer state), with a UserWarning "Training interrupted"; for
  L-BFGS likewise at iteration k-1.
* ``pickle``/``copy.deepcopy`` of the estimator inside a callback works, is
  small (no training data) and is a faithful checkpoint of that epoch.
* A second fit of the same object while one runs (another thread, or
  re-entrant from a callback) raises RuntimeError; the running fit
  completes as if alone.
* Loading a state with an unknown activation / optimizer kind, another
  estimator's state or inconsistent weights: ValueError mentioning "state",
  at load time.
* ``to_onnx`` validates the model (NotFittedError) and the sample (dense,
  2-D, sklearn's n_features wording) before converting; the graph runs in
  onnxruntime and matches predict / predict_proba.
* ``gradcheck`` validates its arguments (ValueError naming the problem).
"""

import copy
import copyreg
import importlib.util
import io
import pickle
import threading
import zipfile

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_reliability2_runner import (
    BASE_PARAMS,
    FIT,
    LABELS,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    assert_state_equal,
    fitted_state,
    quiet,
)

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    gradcheck,
    to_onnx,
)

HAS_CALLBACKS = importlib.util.find_spec("sklearn.callback") is not None
HAS_ONNX = all(
    importlib.util.find_spec(m) is not None for m in ("skl2onnx", "onnxruntime")
)
HAS_SKOPS = importlib.util.find_spec("skops") is not None

_SUBTASKS = ("epoch", "lbfgs-iter")
X_BIG = np.random.RandomState(5).randn(2000, 20)
Y_BIG = (X_BIG[:, 0] > 0).astype(int)


class OnEnd:
    """A callback calling ``fn(estimator)`` once, at the end of epoch (or
    L-BFGS iteration) number ``at`` (1-based); ``on_begin(estimator)`` once,
    when the first one begins.  Copies of it (pickle, deepcopy) are inert
    and small."""

    def __init__(self, fn=None, at=1, on_begin=None):
        self.fn, self.at, self.on_begin = fn, at, on_begin
        self.fired = self.began = False

    def __getstate__(self):
        return {"at": self.at}

    def __setstate__(self, state):
        self.__init__(None, state["at"])
        self.fired = self.began = True

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name in _SUBTASKS and not self.began:
            self.began = True
            if self.on_begin is not None:
                self.on_begin(estimator)

    def on_fit_task_end(self, estimator, context, **kwargs):
        if (
            context.task_name in _SUBTASKS
            and not self.fired
            and context.task_id + 1 == self.at
        ):
            self.fired = True
            if self.fn is not None:
                return self.fn(estimator) is True  # True asks to stop
        return False


def _raise_kbi(est):
    raise KeyboardInterrupt


def _params(est, **kw):
    return {**est.get_params(), **kw}


# ----------------------------------------------------------------------
def _interrupt_cases():
    cases = []
    add = cases.append

    def interrupted(k, y):
        def call(est, d):
            est.set_callbacks(OnEnd(_raise_kbi, at=k))
            FIT(est, d)
            d["ref"] = ref = type(est)(**_params(est, max_iter=k - 1))
            with quiet():
                FIT(ref, d)
            return est

        def check(est, result, d):
            ref = d["ref"]
            assert_same_model(est, ref, rtol=0, atol=0)
            for name in ("loss_", "t_", "best_loss_", "validation_scores_",
                         "best_validation_score_"):
                assert getattr(est, name) == getattr(ref, name), name
            if est.early_stopping:  # partial_fit refuses early stopping
                est.set_params(early_stopping=False)
                ref.set_params(early_stopping=False)
            est.partial_fit(d["X"], d["y"])
            ref.partial_fit(d["X"], d["y"])
            assert_same_model(est, ref, rtol=0, atol=0)
            assert est.t_ == ref.t_

        return call, check

    for kind, solver, y, k, extra, dtype in [
        ("clf", "adam", Y_3, 3, {}, np.float64),
        ("reg", "sgd", Y_REG, 2, {}, np.float64),
        ("reg", "adam", Y_REG, 3, {}, np.float32),
        ("clf", "sgd", Y_BIN, 4, dict(early_stopping=True, validation_fraction=0.25,
                                      n_iter_no_change=50), np.float64),
    ]:
        call, check = interrupted(k, y)
        add(Case(f"{kind}-{solver}-{np.dtype(dtype).name}-keyboard-interrupt-epoch-{k}"
                 + ("-early-stopping" if extra else ""), kind,
                 D(X=X.astype(dtype), y=y), call,
                 params=dict(solver=solver, batch_size=5, max_iter=10, **extra),
                 check=check, warns=UserWarning, warns_match="Training interrupted",
                 extra=True))

    def first_epoch(est, d):
        d["init"] = None

        def grab(e):
            d["init"] = [a.copy() for a in e.coefs_ + e.intercepts_]

        est.set_callbacks(OnEnd(_raise_kbi, at=1, on_begin=grab))
        return FIT(est, d)

    def at_start(est, result, d):
        assert (est.n_iter_, est.t_, est.loss_curve_) == (0, 0, []), (
            est.n_iter_, est.t_, est.loss_curve_)
        for a, b in zip(est.coefs_ + est.intercepts_, d["init"]):
            assert_array_equal(a, b)

    add(Case("clf-adam-keyboard-interrupt-first-epoch", "clf", D(X=X, y=Y_BIN),
             first_epoch, params=dict(max_iter=10), check=at_start,
             warns=UserWarning, warns_match="Training interrupted", extra=True))

    def warm_interrupted(est, d):
        with quiet():
            FIT(est, d)
        ref = copy.deepcopy(est).set_params(max_iter=1)
        est.set_callbacks(OnEnd(_raise_kbi, at=2))
        FIT(est, d)
        with quiet():
            FIT(ref, d)
        d["ref"] = ref
        return est

    add(Case("reg-warm_start-keyboard-interrupt-epoch-2", "reg", D(X=X, y=Y_REG),
             warm_interrupted, params=dict(warm_start=True, batch_size=5),
             check=lambda e, r, d: (assert_same_model(e, d["ref"], rtol=0, atol=0),
                                    _same_attr(e, d["ref"], "t_", "loss_")),
             warns=UserWarning, warns_match="Training interrupted", extra=True))

    def partial_interrupted(est, d):
        with quiet():
            FIT(est, d)
        before, ref = fitted_state(est), copy.deepcopy(est)
        est.set_callbacks(OnEnd(_raise_kbi, at=1))
        est.partial_fit(d["X"], d["y"])
        d["before"], d["after"], d["ref"] = before, fitted_state(est), ref
        return est

    def as_before(est, result, d):
        for name in ("coefs_", "intercepts_", "loss_curve_", "loss_", "t_"):
            assert_state_equal({name: d["before"][name]}, {name: d["after"][name]})
        est.partial_fit(d["X"], d["y"])
        d["ref"].partial_fit(d["X"], d["y"])
        assert_same_model(est, d["ref"], rtol=0, atol=0, attrs=False)

    add(Case("clf-partial_fit-keyboard-interrupt", "clf", D(X=X, y=Y_BIN),
             partial_interrupted, params=dict(batch_size=5), check=as_before,
             warns=UserWarning, warns_match="Training interrupted", extra=True))

    # L-BFGS: as an epoch, an iteration interrupted in its end hooks is
    # undone; the model is that of the iteration before, with the warning
    def lbfgs_interrupted(prefit):
        def call(est, d):
            if prefit:
                with quiet():
                    FIT(est, d)
            est.set_callbacks(OnEnd(_raise_kbi, at=3))
            return FIT(est, d)

        return call

    def at_iteration_2(est, result, d):
        ref = clone(est).set_params(max_iter=2)
        ref.set_callbacks()
        with quiet():
            FIT(ref, d)
        assert est.n_iter_ == 2 and est.loss_curve_ == ref.loss_curve_
        assert_same_model(est, ref, rtol=0, atol=0, attrs=False)

    add(Case("reg-lbfgs-keyboard-interrupt-fitted", "reg", D(X=X, y=Y_REG),
             lbfgs_interrupted(True), params=dict(solver="lbfgs", max_iter=20),
             check=at_iteration_2, warns=UserWarning,
             warns_match="Training interrupted", extra=True))
    add(Case("clf-lbfgs-keyboard-interrupt-unfitted", "clf", D(X=X, y=Y_BIN),
             lbfgs_interrupted(False), params=dict(solver="lbfgs", max_iter=20),
             check=at_iteration_2, warns=UserWarning,
             warns_match="Training interrupted", extra=True))
    return cases


def _same_attr(a, b, *names):
    for name in names:
        assert getattr(a, name) == getattr(b, name), name


def _checkpoint_cases():
    cases = []
    add = cases.append

    def checkpoint(how, k):
        def call(est, d):
            def save(e):
                d["blob"] = pickle.dumps(e) if how == "pickle" else pickle.dumps(
                    copy.deepcopy(e))
                d["pred"] = e.predict(d["X"])

            est.set_callbacks(OnEnd(save, at=k))
            with quiet():
                FIT(est, d)
            return est

        def check(est, result, d):
            assert len(d["blob"]) < d["X"].nbytes / 10, len(d["blob"])
            saved = pickle.loads(d["blob"])
            assert_array_equal(saved.predict(d["X"]), d["pred"])
            ref = type(est)(**_params(est, max_iter=k))
            with quiet():
                FIT(ref, d)
            assert_same_model(saved, ref, Xp=d["X"], rtol=0, atol=0)
            if est.solver != "lbfgs":  # the checkpoint continues like the fit
                saved.partial_fit(d["X"], d["y"])
                ref.partial_fit(d["X"], d["y"])
                assert_same_model(saved, ref, Xp=d["X"], rtol=0, atol=0)

        return call, check

    for how, kind, solver, k in [("pickle", "clf", "adam", 2),
                                 ("pickle", "reg", "sgd", 3),
                                 ("deepcopy", "clf", "adam", 2),
                                 ("pickle", "reg", "lbfgs", 3)]:
        call, check = checkpoint(how, k)
        y = Y_BIG if kind == "clf" else X_BIG[:, 0]
        add(Case(f"{kind}-{solver}-{how}-inside-callback", kind, D(X=X_BIG, y=y), call,
                 params=dict(solver=solver, max_iter=4), check=check, extra=True))

    def clone_inside(est, d):
        est.set_callbacks(OnEnd(lambda e: d.setdefault("clone", clone(e)), at=2))
        return FIT(est, d)

    add(Case("clf-clone-inside-callback", "clf", D(X=X, y=Y_BIN), clone_inside,
             check=lambda e, r, d: (
                 _assert(d["clone"].get_params() == e.get_params()),
                 _assert(not hasattr(d["clone"], "coefs_"))),
             extra=True))

    def predict_inside(est, d):
        est.set_callbacks(OnEnd(lambda e: d.setdefault("pred", e.predict_proba(X)),
                                at=3))
        return FIT(est, d)

    add(Case("clf-predict-inside-callback", "clf", D(X=X, y=Y_3), predict_inside,
             check=lambda e, r, d: assert_array_equal(
                 d["pred"], _fit_ref(e, d, max_iter=3).predict_proba(X)),
             extra=True))

    def failing_callback(est, d):
        with quiet():
            FIT(est, d)
        d["before"], d["pred"] = fitted_state(est), est.predict(X)

        def boom(e):
            raise RuntimeError("callback failed")

        est.set_callbacks(OnEnd(boom, at=2))
        try:
            FIT(est, d)
        except RuntimeError as exc:
            d["exc"] = exc
        return est

    add(Case("reg-warm_start-failing-callback-restores", "reg", D(X=X, y=Y_REG),
             failing_callback, params=dict(warm_start=True),
             check=lambda e, r, d: (
                 _assert("callback failed" in str(d["exc"])),
                 assert_state_equal(d["before"], fitted_state(e)),
                 assert_array_equal(e.predict(X), d["pred"])),
             extra=True))

    def reentrant(est, d):
        def refit(e):
            try:
                e.fit(d["X"], d["y"])
            except RuntimeError as exc:
                d["inner"] = exc
            else:
                d["inner"] = None

        est.set_callbacks(OnEnd(refit, at=2))
        with quiet():
            FIT(est, d)
        return est

    def inner_refused(est, result, d):
        assert isinstance(d["inner"], RuntimeError), d["inner"]
        assert_same_model(est, _fit_ref(est, d))

    add(Case("reg-fit-re-entered-from-callback", "reg", D(X=X, y=Y_REG), reentrant,
             check=inner_refused, extra=True))
    return cases


def _assert(cond, msg=""):
    assert cond, msg


def _fit_ref(est, d, **params):
    ref = type(est)(**_params(est, **params))
    with quiet():
        FIT(ref, d)
    return ref


def _thread_cases():
    cases = []
    add = cases.append

    def concurrent(first, second):
        def call(est, d):
            started, go = threading.Event(), threading.Event()

            def block(e):
                started.set()
                go.wait(10)

            est.set_callbacks(OnEnd(block, at=1))
            res = {}

            def run_first():
                try:
                    with quiet():
                        first(est, d)
                except BaseException as exc:  # noqa: BLE001
                    res["exc"] = exc

            thread = threading.Thread(target=run_first)
            thread.start()
            try:
                assert started.wait(10), "the first fit never reached its callback"
                try:
                    with quiet():
                        second(est, d)
                    d["second"] = None
                except Exception as exc:  # noqa: BLE001
                    d["second"] = exc
            finally:
                go.set()
                thread.join(20)
            d["first_exc"] = res.get("exc")
            return est

        return call

    def second_refused(est, result, d):
        assert isinstance(d["second"], RuntimeError), repr(d["second"])
        assert "another thread" in str(d["second"]), str(d["second"])
        assert d["first_exc"] is None, repr(d["first_exc"])
        ref = type(est)(**est.get_params())
        with quiet():
            FIT(ref, d)
        assert_same_model(est, ref, rtol=0, atol=0)

    def pfit(est, d):
        return est.partial_fit(d["X"], d["y"])

    for name, kind, solver, y, first, second in [
        ("fit-vs-fit", "clf", "adam", Y_BIN, FIT, FIT),
        ("fit-vs-partial_fit", "reg", "sgd", Y_REG, FIT, pfit),
        ("lbfgs-fit-vs-fit", "reg", "lbfgs", Y_REG, FIT, FIT),
    ]:
        add(Case(f"{kind}-{name}-from-two-threads", kind, D(X=X, y=y),
                 concurrent(first, second), params=dict(solver=solver),
                 check=second_refused, extra=True))

    def two_estimators(est, d):
        other = type(est)(**_params(est, random_state=1))
        errors = []

        def run(e):
            try:
                with quiet():
                    FIT(e, d)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in (est, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        d["other"] = other
        return est

    add(Case("clf-two-estimators-in-two-threads", "clf", D(X=X, y=Y_3),
             two_estimators, params=dict(max_iter=20),
             check=lambda e, r, d: (
                 assert_same_model(e, _fit_ref(e, d), rtol=0, atol=0),
                 assert_same_model(d["other"], _fit_ref(d["other"], d), rtol=0,
                                   atol=0)),
             extra=True))
    return cases


# ----------------------------------------------------------------------
# loading state
def _load_state(cls, state):
    """``pickle.loads`` of an object of class ``cls`` whose state is ``state``."""

    class Forged:
        def __reduce__(self):
            return (copyreg._reconstructor, (cls, object, None), state)

    return pickle.loads(pickle.dumps(Forged()))


def _fitted(cls, y, **params):
    est = cls(**{**BASE_PARAMS, **params})
    with quiet():
        return est.fit(X, y)


def _state_of(cls, y, **changes):
    state = dict(_fitted(cls, y).__getstate__())
    for key, value in changes.items():
        if key == "optimizer":  # the persisted optimizer: a dict with "kind"
            key = next(k for k, v in state.items() if isinstance(v, dict)
                       and "kind" in v)
            value = value(dict(state[key]))
        state[key] = value
    return state


def _skops_edited(cls, y, old, new):
    import skops.io as sio

    data = sio.dumps(_fitted(cls, y))
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            blob = src.read(name)
            if name == "schema.json":
                text = blob.decode()
                needle = f'"content": "\\"{old}\\""'
                assert needle in text, needle
                blob = text.replace(needle, f'"content": "\\"{new}\\""').encode()
            dst.writestr(name, blob)
    return out.getvalue()


def _skops_load(data):
    import skops.io as sio

    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def _state_cases():
    cases = []
    add = cases.append
    C, R = BackpropMLPClassifier, BackpropMLPRegressor
    mismatch = r"(?is)(?=.*state)(?=.*(classifier|regressor))"

    def names(*words):
        return r"(?is)(?=.*state)(?=.*(" + "|".join(words) + "))"

    def drop_m(opt):
        del opt["m"]
        return opt

    for name, load, pattern, _before in [
        ("pickle-unknown-activation",
         lambda: _load_state(C, _state_of(C, Y_BIN, activation="bogus")),
         names("activation"), "unknown activation loads; ValueError only at predict"),
        ("pickle-unknown-out_activation_",
         lambda: _load_state(C, _state_of(C, Y_BIN, out_activation_="bogus")),
         names("out_activation_"), "unknown out_activation_ loads; KeyError 'bogus' "
         "at predict"),
        ("pickle-unknown-optimizer-kind",
         lambda: _load_state(C, _state_of(C, Y_BIN, optimizer=lambda o: {
             **o, "kind": "Bogus"})),
         names("optimizer", "kind", "Bogus"), "KeyError 'Bogus' in "
         "optimizer_from_state"),
        ("pickle-optimizer-state-missing-array",
         lambda: _load_state(R, _state_of(R, Y_REG, optimizer=drop_m)).partial_fit(
             X, Y_REG),
         names("optimizer", "'m'", r"\bm\b"), "loads; AttributeError 'Adam' object has "
         "no attribute 'm' at partial_fit"),
        ("regressor-state-into-classifier",
         lambda: _load_state(C, _state_of(R, Y_REG)).predict(X), mismatch,
         "loads; AttributeError '_label_binarizer' at predict"),
        ("classifier-state-into-regressor",
         lambda: _load_state(R, _state_of(C, Y_BIN)).predict(X), mismatch,
         "loads and predicts the classifier's probabilities as regression values"),
        ("sklearn-MLPClassifier-state",
         lambda: _load_state(C, _fitted(MLPClassifier, Y_BIN).__getstate__())
         .partial_fit(X, Y_BIN), mismatch,
         "loads and predicts; AttributeError 'class_weight' at partial_fit"),
        ("sklearn-MLPRegressor-state",
         lambda: _load_state(R, _fitted(MLPRegressor, Y_REG).__getstate__())
         .partial_fit(X, Y_REG), mismatch,
         "loads; fails only later, inside the optimizer"),
        ("coefs-that-do-not-chain",
         lambda: _load_state(C, _state_of(C, Y_BIN, coefs_=[np.zeros((4, 3)),
                                                            np.zeros((5, 1))]))
         .predict(X), names("coefs_"), "loads; matmul shape error at predict"),
        ("fitted-state-without-coefs_",
         lambda: _load_state(C, {k: v for k, v in _state_of(C, Y_BIN).items()
                                 if k != "coefs_"}).predict(X),
         names("coefs_"), "loads; AttributeError 'coefs_' at predict"),
        ("state-not-a-dict", lambda: _load_state(C, [1, 2]), names("dict"),
         "AttributeError 'list' object has no attribute 'get'"),
        ("skops-unknown-activation",
         lambda: _skops_load(_skops_edited(R, Y_REG, "relu", "bogus")).predict(X),
         names("activation"), "skops file loads; ValueError only at predict"),
        ("skops-unknown-optimizer-kind",
         lambda: _skops_load(_skops_edited(R, Y_REG, "Adam", "Bogus")),
         names("optimizer", "kind", "Bogus"), "KeyError 'Bogus' inside skops.io.load"),
    ]:
        add(Case(name, "none", D(), lambda est, d, load=load: load(), ValueError,
                 pattern, extra=True))

    def unfitted_round_trip(est, d):
        return _load_state(C, C(**BASE_PARAMS).__getstate__()).fit(X, Y_BIN)

    add(Case("unfitted-state-round-trip-then-fit", "none", D(), unfitted_round_trip,
             check=lambda e, r, d: assert_same_model(r, _fitted(C, Y_BIN)),
             extra=True))

    def skops_round_trip(est, d):
        est = _fitted(C, LABELS, solver="sgd", class_weight={"a": 2.0, "b": 1.0})
        loaded = _skops_load(__import__("skops.io").io.dumps(est))
        d["est"] = est
        return loaded

    add(Case("skops-round-trip-string-labels-class_weight", "none", D(),
             skops_round_trip,
             check=lambda e, r, d: (
                 assert_array_equal(r.predict_proba(X), d["est"].predict_proba(X)),
                 assert_same_model(r.partial_fit(X, LABELS),
                                   d["est"].partial_fit(X, LABELS))),
             extra=True))
    return cases


# ----------------------------------------------------------------------
# ONNX export
def _onnx_cases():
    cases = []
    add = cases.append
    nf = "X has 3 features, but {} is expecting 4 features as input"
    dense = r"(?i)dense|sparse"

    def export(sample, model=None, options=None):
        def call(est, d):
            m = model() if model is not None else est
            if model is None:
                FIT(est, d)
            return to_onnx(m, sample() if callable(sample) else sample,
                           options=options)

        return call

    for kind, cls in [("clf", BackpropMLPClassifier), ("reg", BackpropMLPRegressor)]:
        add(Case(f"{kind}-onnx-unfitted", "none", D(),
                 export(X[:1], model=lambda cls=cls: cls()), NotFittedError,
                 f"This {cls.__name__} instance is not fitted yet", extra=True))
        y = Y_BIN if kind == "clf" else Y_REG
        add(Case(f"{kind}-onnx-sparse-sample", kind, D(X=X, y=y),
                 export(lambda: sp.csr_matrix(X[:1])), (TypeError, ValueError), dense,
                 extra=True, atomic=False))
        add(Case(f"{kind}-onnx-wrong-n_features", kind, D(X=X, y=y),
                 export(X[:1, :3]), ValueError, nf.format(cls.__name__), extra=True,
                 atomic=False))
        add(Case(f"{kind}-onnx-1d-sample", kind, D(X=X, y=y), export(X[0]),
                 ValueError, "Expected 2D array", extra=True, atomic=False))
        add(Case(f"{kind}-onnx-3d-sample", kind, D(X=X, y=y),
                 export(X[:2].reshape(2, 2, 2)), ValueError, "Found array with dim 3",
                 extra=True,
                 atomic=False))
    add(Case("onnx-unfitted-pipeline", "none", D(),
             export(X[:1], model=lambda: make_pipeline(StandardScaler(),
                                                       BackpropMLPRegressor())),
             NotFittedError, "is not fitted yet", extra=True))

    def runs_like(Xr, zipmap=False):
        def check(est, onx, d):
            import onnxruntime as rt

            sess = rt.InferenceSession(onx.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
            out = sess.run(None, {sess.get_inputs()[0].name: Xr})
            if hasattr(est, "predict_proba"):
                assert_array_equal(out[0], est.predict(Xr))
                proba = out[1]
                if zipmap:
                    proba = np.array([[row[c] for c in est.classes_] for row in proba])
                # ONNX's ZipMap carries float32 probabilities only
                atol = 1e-5 if Xr.dtype == np.float32 else 1e-7 if zipmap else 1e-10
                assert_allclose(proba, est.predict_proba(Xr), atol=atol)
            else:
                assert_allclose(out[0].ravel(), est.predict(Xr).ravel(), rtol=1e-5)

        return check

    X32 = X.astype(np.float32)
    before_zip = ("float64 sample with the default ZipMap: onnxruntime rejects the "
              "graph (ZipMap takes tensor(float), gets tensor(double))")
    for name, y, sample, Xr, opts, _before in [
        ("string-labels-float64-zipmap", LABELS, X[:1], X, None, before_zip),
        ("int-labels-float64-zipmap", Y_3, X[:1], X, None, before_zip),
        ("string-labels-float64-no-zipmap", LABELS, X[:1], X, {"zipmap": False}, None),
        ("string-labels-float32-zipmap", LABELS, X32[:1], X32, None, None),
        ("bool-labels", Y_BIN == 1, X[:1], X, {"zipmap": False}, None),
        ("empty-sample", Y_3, X[:0], X, {"zipmap": False}, None),
        ("float16-sample", Y_3, X[:1].astype(np.float16), X32, {"zipmap": False},
         None),
        ("list-sample", Y_3, X[:1].tolist(), X, {"zipmap": False}, None),
    ]:
        zipmap = opts is None
        add(Case(f"clf-onnx-{name}", "clf", D(X=X, y=y),
                 export(sample, options=opts), check=runs_like(Xr, zipmap),
                 extra=True))
    add(Case("reg-onnx-dataframe-sample", "reg", D(X=X, y=Y_REG),
             export(lambda: pd.DataFrame(X[:1], columns=list("abcd"))),
             check=runs_like(X), extra=True))
    add(Case("reg-onnx-string-sample", "reg", D(X=X, y=Y_REG),
             export(np.full((1, 4), "a")), ValueError,
             "could not convert string to float", extra=True, atomic=False))

    def bogus_activation(est, d):
        FIT(est, d)
        est.activation = "bogus"
        return to_onnx(est, X[:1])

    add(Case("reg-onnx-unknown-activation", "reg", D(X=X, y=Y_REG), bogus_activation,
             NotImplementedError, "Activation 'bogus' cannot be exported", extra=True,
             atomic=False))
    return cases


# ----------------------------------------------------------------------
# gradcheck
def _gradcheck_cases():
    cases = []
    add = cases.append
    Y1 = Y_BIN.reshape(-1, 1).astype(float)
    n_params = 4 * 5 + 5 + 5 + 1

    def gc(**kw):
        def call(est, d):
            args = {"X": X, "Y": Y1, **kw}
            return gradcheck(args.pop("X"), args.pop("Y"), **args)

        return call

    for name, kw, exc, pattern, _before in [
        ("mismatched-rows", dict(Y=Y1[:19]), ValueError,
         "inconsistent numbers of samples", "numpy broadcast error from the loss"),
        ("nan-X", dict(X=np.where(X > 2, np.nan, X)), ValueError, "NaN",
         "returns nan"),
        ("inf-Y", dict(Y=np.where(Y1 > 0, np.inf, 0.0), loss="squared_error"),
         ValueError, "infinity", "RuntimeWarnings, returns nan"),
        ("unknown-activation", dict(activation="bogus"), ValueError,
         "Unknown activation 'bogus'", None),
        ("unknown-loss", dict(loss="bogus"), ValueError, "Unknown loss 'bogus'", None),
        ("eps-zero", dict(eps=0.0), ValueError, "eps", "ZeroDivisionError"),
        ("eps-negative", dict(eps=-1e-3), ValueError, "eps", "accepted"),
        ("eps-nan", dict(eps=np.nan), ValueError, "eps", "returns nan"),
        ("atol-zero", dict(atol=0.0, params=np.zeros(n_params)), ValueError, "atol",
         "accepted"),
        ("params-wrong-length", dict(params=np.zeros(3)), ValueError,
         rf"(?s)params.*{n_params}", "reshape error from Network.unpack"),
        ("params-nan", dict(params=np.full(n_params, np.nan)), ValueError,
         r"params.*(NaN|finite)", "returns nan"),
        ("sample_weight-wrong-length", dict(sample_weight=np.ones(3)), ValueError,
         r"sample_weight", "numpy 'shapes not aligned' error"),
        ("sample_weight-negative", dict(sample_weight=-np.ones(20)), ValueError,
         "Negative values in data passed to sample_weight", "accepted"),
        ("sample_weight-all-zero", dict(sample_weight=np.zeros(20)), ValueError,
         "Sample weights must contain at least one non-zero number",
         "ZeroDivisionError and a RuntimeWarning"),
        ("hidden-size-zero", dict(hidden_layer_sizes=(0,)), ValueError,
         "hidden_layer_sizes", "accepted"),
        ("X-1d", dict(X=X[:, 0]), ValueError, "Expected 2D array",
         "IndexError from gradcheck"),
        ("Y-3d", dict(Y=Y1.reshape(20, 1, 1)), ValueError, r"(?i)\bY\b|dim",
         "numpy broadcast error from the loss"),
        ("empty-X", dict(X=X[:0], Y=Y1[:0]), ValueError, r"0 sample\(s\)",
         "ZeroDivisionError"),
        ("string-X", dict(X=np.full((20, 4), "a")), ValueError,
         "could not convert string to float", None),
        ("sparse-X", dict(X=sp.csr_matrix(X)), (TypeError, ValueError),
         r"(?i)dense|sparse", "'setting an array element with a sequence'"),
        ("poisson-negative-Y", dict(Y=-Y1 - 1, loss="poisson"), ValueError,
         "negative", "returns nan"),
        ("eps-string", dict(eps="a"), ValueError, "eps must be a positive number",
         "TypeError from np.isfinite"),
        ("atol-None", dict(atol=None), ValueError, "atol must be a positive number",
         "TypeError from np.isfinite"),
        ("alpha-None", dict(alpha=None), ValueError,
         "alpha must be a non-negative number", "TypeError from np.isfinite"),
        ("hidden-size-float", dict(hidden_layer_sizes=(2.5,)), ValueError,
         "hidden_layer_sizes must be a positive int", "truncated to 2"),
        ("hidden-size-bool", dict(hidden_layer_sizes=(True,)), ValueError,
         "hidden_layer_sizes must be a positive int", "taken as 1"),
        ("random_state-string", dict(random_state="x"), ValueError,
         "random_state must be an int", "TypeError from numpy"),
        ("log_loss-not-one-hot", dict(loss="log_loss"), ValueError,
         "one-hot", "a gradient error of 1.0"),
        ("binary-Y-out-of-range", dict(Y=Y1 * 5), ValueError, r"\[0, 1\]",
         "a gradient error of 1.35"),
    ]:
        add(Case(f"gradcheck-{name}", "none", D(), gc(**kw), exc, pattern,
                 extra=True))
    return cases


CASES = (
    (_interrupt_cases() + _checkpoint_cases() + _thread_cases() if HAS_CALLBACKS
     else [])
    + [c for c in _state_cases() if HAS_SKOPS or "skops" not in c.id]
    + (_onnx_cases() if HAS_ONNX else [])
    + _gradcheck_cases()
)
