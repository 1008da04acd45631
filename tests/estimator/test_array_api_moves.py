"""A model and arrays of another namespace, dtype or device than its fit:
predictions in a promoted dtype, ``move_estimator_to`` copies (weights and
optimizer state in memory of their own, labels on the host), continuing
fits that refuse another namespace and keep the model's dtype, silent and
finite predictions on ``array_api_strict``, and errors naming the method
called.  Torch runs on its CPU tensors; ``array_api_strict``'s ``device1``
stands in for a GPU.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.datasets import load_iris
from sklearn.utils._array_api import move_estimator_to, move_to
from sklearn.utils._testing import _array_api_for_tests

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._array_api import SUPPORTED

if not SUPPORTED:
    pytest.skip("array API support needs scikit-learn >= 1.9",
                allow_module_level=True)
pytest.importorskip("array_api_strict")


# the tests fit on small budgets on purpose
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
X_NP, Y_NP = load_iris(return_X_y=True)
X_NP = X_NP / X_NP.max(axis=0)
NAMES = np.array(["setosa", "versicolor", "virginica"])
DEVICES = [("torch", "cpu"), ("array_api_strict", "device1")]


def _namespace(name, device_name, dtype="float64"):
    try:
        return _array_api_for_tests(name, device_name, dtype)
    except Exception as exc:  # SkipTest and missing libraries
        pytest.skip(str(exc))


def _to(xp, device, array, dtype=None):
    return xp.asarray(np.asarray(array, dtype=dtype), device=device)


def _np(array):
    return move_to(array, xp=np, device="cpu")


def _shares(a, b):
    return np.shares_memory(_np(a), _np(b))


def _fitted(**params):
    params = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0, **params)
    return BackpropMLPClassifier(**params).fit(X_NP, Y_NP)


def _on_device(Est, xp, device, X, y, dtype="float64", **params):
    """A model fitted on the device, and its numpy twin (pickle stores
    numpy arrays: the same weights)."""
    params = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0, **params)
    with config_context(array_api_dispatch=True):
        est = Est(**params).fit(_to(xp, device, X, dtype), _to(xp, device, y))
    return est, pickle.loads(pickle.dumps(est))


@pytest.mark.parametrize("name,device_name", DEVICES)
@pytest.mark.parametrize("model_dtype,input_dtype", [
    ("float64", "float32"), ("float32", "float64"),
])
def test_predicting_another_float_dtype_promotes_as_numpy_does(
        name, device_name, model_dtype, input_dtype):
    xp, device = _namespace(name, device_name, model_dtype)
    est, ref = _on_device(BackpropMLPClassifier, xp, device, X_NP, Y_NP,
                          model_dtype)
    reg, reg_ref = _on_device(BackpropMLPRegressor, xp, device, X_NP,
                              X_NP[:, 0], model_dtype)
    X_ref = X_NP.astype(input_dtype)
    X = _to(xp, device, X_ref)
    with config_context(array_api_dispatch=True):
        proba = est.predict_proba(X)
        assert proba.dtype == xp.float64  # the result dtype, as numpy's
        assert_allclose(_np(proba), ref.predict_proba(X_ref), rtol=1e-12)
        assert_allclose(_np(est.predict_log_proba(X)),
                        ref.predict_log_proba(X_ref), rtol=1e-12)
        assert_array_equal(_np(est.predict(X)), ref.predict(X_ref))
        assert est.score(X, _to(xp, device, Y_NP)) == ref.score(X_ref, Y_NP)
        pred = reg.predict(X)
        assert pred.dtype == xp.float64
        assert_allclose(_np(pred), reg_ref.predict(X_ref), rtol=1e-12)


@pytest.mark.parametrize("solver,state", [("adam", ("m", "v")),
                                          ("sgd", ("velocity",))])
def test_a_moved_numpy_model_shares_no_memory_with_the_original(solver, state):
    est = _fitted(solver=solver)
    with config_context(array_api_dispatch=True):
        moved = move_estimator_to(est, np, "cpu")
    pairs = list(zip(est.coefs_ + est.intercepts_,
                     moved.coefs_ + moved.intercepts_))
    pairs += [(getattr(est._optimizer, k), getattr(moved._optimizer, k))
              for k in state]
    for a, b in pairs:
        assert_array_equal(a, b)
        assert not np.shares_memory(a, b)
    before = [a.copy() for a, _ in pairs]
    moved.partial_fit(X_NP, Y_NP)  # trains the copy only
    for (a, _), old in zip(pairs, before):
        assert_array_equal(a, old)


@pytest.mark.parametrize("solver,state", [("adam", ("m", "v")),
                                          ("sgd", ("velocity",))])
def test_moves_between_torch_and_numpy_copy_on_the_host(solver, state):
    xp, device = _namespace("torch", "cpu")
    est = _fitted(solver=solver)
    with config_context(array_api_dispatch=True):
        on_torch = move_estimator_to(est, xp, device)
        back = move_estimator_to(on_torch, np, "cpu")
    for a, b, c in zip(est.coefs_ + est.intercepts_,
                       on_torch.coefs_ + on_torch.intercepts_,
                       back.coefs_ + back.intercepts_):
        assert not _shares(a, b) and not _shares(b, c)
    for k in state:
        a, b, c = (getattr(m._optimizer, k) for m in (est, on_torch, back))
        assert_array_equal(_np(b), a)
        assert not _shares(a, b) and not _shares(b, c)


@pytest.mark.parametrize("labels", [Y_NP, NAMES[Y_NP]], ids=["ints", "strings"])
def test_labels_stay_on_the_host_when_a_model_moves(labels):
    xp, device = _namespace("array_api_strict", "device1")
    est = BackpropMLPClassifier((6,), max_iter=5, random_state=0).fit(
        X_NP, labels)
    X = _to(xp, device, X_NP)
    with config_context(array_api_dispatch=True):
        moved = move_estimator_to(est, xp, device)
        pred = moved.predict(X)
        back = move_estimator_to(moved, np, "cpu")
    for model in (moved, back):
        assert isinstance(model.classes_, np.ndarray)
        assert isinstance(model._label_binarizer.classes_, np.ndarray)
        assert_array_equal(model.classes_, est.classes_)
    assert_array_equal(_np(pred) if labels is Y_NP else pred, est.predict(X_NP))
    assert_array_equal(back.predict(X_NP), est.predict(X_NP))


def test_string_labels_move_to_torch():
    xp, device = _namespace("torch", "cpu")
    est = BackpropMLPClassifier((6,), max_iter=5, random_state=0).fit(
        X_NP, NAMES[Y_NP])
    with config_context(array_api_dispatch=True):
        moved = move_estimator_to(est, xp, device)
        pred = moved.predict(_to(xp, device, X_NP))
    assert_array_equal(pred, est.predict(X_NP))


@pytest.mark.parametrize("name,device_name", DEVICES)
def test_partial_fit_takes_classes_on_the_device(name, device_name):
    xp, device = _namespace(name, device_name)
    X, y = _to(xp, device, X_NP), _to(xp, device, Y_NP)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((6,), random_state=0).partial_fit(
            X, y, classes=_to(xp, device, [0, 1, 2]))
        est.partial_fit(X, y, classes=_to(xp, device, [0, 1, 2]))
    assert isinstance(est.classes_, np.ndarray)
    assert_array_equal(est.classes_, [0, 1, 2])


@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
def test_a_continuing_fit_refuses_another_namespace(method):
    xp, device = _namespace("torch", "cpu")
    X, y = _to(xp, device, X_NP), _to(xp, device, Y_NP)

    def cont(est, X, y):
        if method == "partial_fit":
            return est.partial_fit(X, y)
        return est.set_params(warm_start=True).fit(X, y)

    called = "partial_fit" if method == "partial_fit" else "fit"
    with config_context(array_api_dispatch=True):
        host = _fitted()
        on_torch = move_estimator_to(host, xp, device)
        for est, X_other, y_other in ((host, X, y), (on_torch, X_NP, Y_NP)):
            first = _np(est.coefs_[0]).copy()
            t, m = est.t_, type(est._optimizer.m)
            with pytest.raises(ValueError, match=rf"{called}\(\) must use the "
                               "same namespace.*move_estimator_to"):
                cont(est, X_other, y_other)
            assert type(est.coefs_[0]) is type(est._optimizer.m) is m
            assert est.t_ == t
            assert_array_equal(_np(est.coefs_[0]), first)
    with pytest.raises(ValueError, match=rf"call {called}\(\) under"):
        cont(on_torch, X_NP, Y_NP)  # a device model without dispatch


@pytest.mark.parametrize("name,device_name", DEVICES)
def test_a_moved_model_trains_on_as_the_numpy_model(name, device_name):
    xp, device = _namespace(name, device_name)
    ref = BackpropMLPClassifier((6,), random_state=0)
    ref.partial_fit(X_NP, Y_NP, classes=[0, 1, 2])
    with config_context(array_api_dispatch=True):
        est = move_estimator_to(ref, xp, device)
        ref.partial_fit(X_NP, Y_NP)
        est.partial_fit(_to(xp, device, X_NP), _to(xp, device, Y_NP))
        est.set_params(warm_start=True, max_iter=2)
        ref.set_params(warm_start=True, max_iter=2).fit(X_NP, Y_NP)
        est.fit(_to(xp, device, X_NP), _to(xp, device, Y_NP))
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-10)
    assert_allclose(_np(est._optimizer.m), ref._optimizer.m, rtol=1e-9,
                    atol=1e-15)
    for a, b in zip(est.coefs_, ref.coefs_):
        assert_allclose(_np(a), b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name,device_name", DEVICES)
@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
def test_a_continuing_fit_keeps_the_model_dtype_on_a_device(
        name, device_name, method):
    xp, device = _namespace(name, device_name)
    X32 = X_NP.astype(np.float32)
    ref = _fitted(warm_start=method == "warm_start")
    with config_context(array_api_dispatch=True):
        est = move_estimator_to(ref, xp, device)
        X, y = _to(xp, device, X32), _to(xp, device, Y_NP)
        if method == "partial_fit":
            est.partial_fit(X, y)
            ref.partial_fit(X32, Y_NP)
        else:
            est.fit(X, y)
            ref.fit(X32, Y_NP)
    for array in est.coefs_ + est.intercepts_ + [est._optimizer.m]:
        assert array.dtype == xp.float64
    assert ref.coefs_[0].dtype == np.float64
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-10)


def test_predictions_on_array_api_strict_are_silent_and_finite():
    """array_api_strict computes with numpy: an overflow in exp (logistic)
    and a softmax probability underflowing to 0 warn nothing, and the
    log-probabilities are the numpy path's (-inf where it underflows)."""
    xp, device = _namespace("array_api_strict", "device1")
    reg, reg_ref = _on_device(BackpropMLPRegressor, xp, device, X_NP,
                              X_NP[:, 0], activation="logistic")
    clf, clf_ref = _on_device(BackpropMLPClassifier, xp, device, X_NP, Y_NP)
    huge = X_NP * 1e4
    X = _to(xp, device, huge)
    with config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = reg.predict(X)
        log_proba = clf.predict_log_proba(X)
        proba = clf.predict_proba(X)
    assert_allclose(_np(pred), reg_ref.predict(huge), rtol=1e-12)
    assert np.any(_np(proba) == 0.0)
    assert_allclose(_np(log_proba), clf_ref.predict_log_proba(huge), rtol=1e-12)


def test_score_errors_name_score():
    xp, device = _namespace("array_api_strict", "device1")
    est, _ = _on_device(BackpropMLPClassifier, xp, device, X_NP, Y_NP)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"score\(\) must use the same"):
            est.score(X_NP, Y_NP)
    with pytest.raises(ValueError, match=r"call score\(\) under"):
        est.score(X_NP, Y_NP)
