"""Threads: BLAS pools during fit, thread-safe predict."""

import concurrent.futures

import numpy as np
import pytest
from helpers.small_fits import Y_3, Y_REG
from helpers.small_fits import X as X_reliability
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly, quiet
from sklearn.datasets import load_breast_cancer
from threadpoolctl import ThreadpoolController, threadpool_limits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop import _blas_threads as blas_threads_module
from skbackprop import _training as training
from skbackprop._engine import trainer as trainer_module

X, y = load_breast_cancer(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
NUMPY_LIBS, OTHER_LIBS = blas_threads_module._find_blas_libraries()


def _threads():
    return [lib.get_num_threads() for lib in NUMPY_LIBS + OTHER_LIBS]


@pytest.fixture
def seen(monkeypatch):
    """Thread counts observed inside the engine's steps and objective."""
    record = []
    step, objective = trainer_module.Trainer.step, trainer_module.Trainer.objective

    def recording_step(self, *args):
        record.append(_threads())
        return step(self, *args)

    def recording_objective(self, *args):
        fun = objective(self, *args)

        def recording_fun(x):
            record.append(_threads())
            return fun(x)

        return recording_fun

    monkeypatch.setattr(trainer_module.Trainer, "step", recording_step)
    monkeypatch.setattr(trainer_module.Trainer, "objective", recording_objective)
    return record


@pytest.fixture(autouse=True)
def two_threads():
    """Every pool at two threads, as on the 2-core CI machine."""
    controller = ThreadpoolController().select(user_api="blas")
    with controller.limit(limits=2):
        yield


def test_the_libraries_are_found():
    assert NUMPY_LIBS, "numpy's BLAS was not found"
    for lib in NUMPY_LIBS + OTHER_LIBS:
        assert lib.user_api == "blas"


def test_small_lbfgs_runs_every_pool_on_one_thread(seen, monkeypatch):
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)
    before = _threads()
    fit_quietly(BackpropMLPClassifier((20,), solver="lbfgs", max_iter=5), X, y)
    assert seen and all(t == [1] * len(t) for t in seen)
    assert _threads() == before == [2] * len(before)


def test_large_lbfgs_keeps_numpy_threads(seen, monkeypatch):
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)
    monkeypatch.setattr(blas_threads_module, "LBFGS_THREADED_FLOPS", 0)
    fit_quietly(BackpropMLPClassifier((20,), solver="lbfgs", max_iter=5), X, y)
    n = len(NUMPY_LIBS)
    assert seen and all(t == [2] * n + [1] * (len(t) - n) for t in seen)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_solvers_keep_every_pools_threads(seen, monkeypatch, solver):
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)
    fit_quietly(BackpropMLPClassifier((20,), solver=solver, max_iter=2), X, y)
    # one kind of product at a time: no pool is limited
    assert seen and all(t == [2] * len(t) for t in seen)
    assert _threads() == [2] * (len(NUMPY_LIBS) + len(OTHER_LIBS))


def test_a_callers_lower_limit_is_kept(seen, monkeypatch):
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)
    monkeypatch.setattr(blas_threads_module, "LBFGS_THREADED_FLOPS", 0)
    with threadpool_limits(limits=1, user_api="blas"):
        fit_quietly(BackpropMLPClassifier((20,), solver="lbfgs", max_iter=3), X, y)
        assert _threads() == [1] * len(_threads())
    assert all(t == [1] * len(t) for t in seen)


@pytest.mark.parametrize("setting,expected", [("off", 2), ("1", 1), ("3", 3)])
def test_environment_variable_overrides(seen, monkeypatch, setting, expected):
    monkeypatch.setenv("SKBACKPROP_BLAS_THREADS", setting)
    fit_quietly(BackpropMLPClassifier((20,), solver="lbfgs", max_iter=3), X, y)
    assert seen and all(t == [expected] * len(t) for t in seen)
    assert _threads() == [2] * len(_threads())


@pytest.mark.parametrize("setting", ["many", "0", "-1", "2.5"])
def test_a_bad_environment_variable_is_a_clear_error(monkeypatch, setting):
    monkeypatch.setenv("SKBACKPROP_BLAS_THREADS", setting)
    est = BackpropMLPClassifier((5,), solver="lbfgs", max_iter=2)
    with pytest.raises(ValueError, match="SKBACKPROP_BLAS_THREADS must be"):
        est.fit(X, y)
    assert _threads() == [2] * len(_threads())


def test_settings_are_restored_after_a_failing_fit(monkeypatch):
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(training, "fit_lbfgs", boom)
    with pytest.raises(RuntimeError, match="boom"):
        BackpropMLPClassifier((5,), solver="lbfgs").fit(X, y)
    assert _threads() == [2] * len(_threads())
    assert np.isfinite(X).all()


def test_fits_at_once_restore_the_callers_settings_when_the_last_ends(monkeypatch):
    """Two L-BFGS fits overlapping in threads: the second must not record
    the first's lowered counts as the caller's, and the first to end must
    not restore them under the second (the pools belong to the process)."""
    monkeypatch.delenv("SKBACKPROP_BLAS_THREADS", raising=False)
    first = blas_threads_module.blas_threads("lbfgs", [30, 20, 2], 500)
    second = blas_threads_module.blas_threads("lbfgs", [30, 20, 2], 500)
    first.__enter__()
    second.__enter__()
    assert _threads() == [1] * len(_threads())
    first.__exit__(None, None, None)  # the second still runs
    assert _threads() == [1] * len(_threads())
    second.__exit__(None, None, None)
    assert _threads() == [2] * len(_threads())
    assert blas_threads_module._pools_held == {}


def test_thread_safe_predict():
    Xb = np.random.RandomState(3).randn(300, 4)
    with quiet():
        clf = BackpropMLPClassifier(hidden_layer_sizes=(16, 8), max_iter=20,
                                    random_state=0).fit(X_reliability, Y_3)
        reg = BackpropMLPRegressor(hidden_layer_sizes=(16,), max_iter=20,
                                   random_state=0).fit(X_reliability, Y_REG)
    # different batch sizes per call, so a shared buffer would be caught
    chunks = [Xb[: 10 + 7 * (i % 40)] for i in range(200)]
    methods = [clf.predict, clf.predict_proba, reg.predict]
    serial = [[m(c) for c in chunks] for m in methods]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for m, expected in zip(methods, serial):
            got = list(pool.map(m, chunks))
            for g, e in zip(got, expected):
                assert_array_equal(g, e)
