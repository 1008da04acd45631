"""Callbacks (``sklearn.callback``): interrupts, checkpoints, re-entrant and
concurrent fits.

* A KeyboardInterrupt raised by a callback at the end of epoch k leaves the
  model wholly at epoch k-1 (``n_iter_``, ``loss_curve_``, ``loss_``, ``t_``,
  weights, optimizer state), with a UserWarning "Training interrupted"; for
  L-BFGS likewise at iteration k-1.
* ``pickle``/``copy.deepcopy`` of the estimator inside a callback works, is
  small (no training data) and is a faithful checkpoint of that epoch.
* A second fit of the same object while one runs (another thread, or
  re-entrant from a callback) raises RuntimeError; the running fit
  completes as if alone.
"""

import copy
import importlib.util
import pickle
import threading

import numpy as np
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet
from sklearn.base import clone

from battery.case import (
    FIT,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    assert_state_equal,
    fitted_state,
    tagged,
)

HAS_CALLBACKS = importlib.util.find_spec("sklearn.callback") is not None


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


CASES = (tagged("callbacks", _interrupt_cases() + _checkpoint_cases())
         + tagged("threads", _thread_cases())) if HAS_CALLBACKS else []
