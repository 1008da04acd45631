"""Training and prediction on array-API namespaces (torch, CuPy,
array_api_strict) under ``sklearn.config_context(array_api_dispatch=True)``.

scikit-learn's own array-API checks run for both estimators in
``tests/estimator/test_sklearn_checks.py`` (the estimators carry
``array_api_support=True``);
these tests add what those checks do not look at: the values (equal to the
numpy engine's), the namespace, device and dtype of every fitted array and
output, the optimizer's state, partial_fit / warm_start on the device, early
stopping, sample and class weights, L-BFGS, persistence, and the errors of a
model used outside its namespace.  array_api_strict's ``device1`` stands in
for a GPU: a host round trip that would fail on CUDA fails there too.  Torch
CUDA and CuPy run where a GPU is present and skip cleanly elsewhere.
"""

import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import register_sine_activation
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.utils._array_api import (
    get_namespace_and_device,
    move_estimator_to,
    move_to,
)
from sklearn.utils._param_validation import StrOptions
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
COMBOS = [
    ("array_api_strict", "CPU_DEVICE", "float64"),
    ("array_api_strict", "device1", "float32"),
    ("torch", "cpu", "float64"),
    ("torch", "cpu", "float32"),
    ("torch", "cuda", "float64"),
    ("torch", "cuda", "float32"),
    ("cupy", None, "float64"),
]
X_NP, Y_NP = load_digits(return_X_y=True)
X_NP = X_NP[:400] / 16.0
Y_NP = Y_NP[:400]


def _namespace(combo):
    name, device_name, dtype = combo
    try:
        xp, device = _array_api_for_tests(name, device_name, dtype)
    except Exception as exc:  # SkipTest and missing libraries
        pytest.skip(str(exc))
    return xp, device, dtype


def _to(xp, device, array, dtype=None):
    return xp.asarray(np.asarray(array, dtype=dtype), device=device)


def _np(array):
    return move_to(array, xp=np, device="cpu")


def _assert_on(array, xp, device, dtype=None):
    got_xp, _, got_device = get_namespace_and_device(array)
    # the device as the namespace names it ("cuda" is "cuda:0", say)
    expected = get_namespace_and_device(xp.asarray([0.0], device=device))[2]
    assert got_xp is xp and got_device == expected
    if dtype is not None:
        assert array.dtype == getattr(xp, dtype)


@pytest.fixture(params=COMBOS, ids=lambda c: "-".join(map(str, c)))
def combo(request):
    return _namespace(request.param)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fit_and_predict_stay_on_the_device_in_their_dtype(combo, solver):
    xp, device, dtype = combo
    X, y = _to(xp, device, X_NP, dtype), _to(xp, device, Y_NP)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((20,), solver=solver, max_iter=5,
                                    random_state=0).fit(X, y)
        for array in est.coefs_ + est.intercepts_:
            _assert_on(array, xp, device, dtype)
        if solver != "lbfgs":
            for name in est._optimizer._arrays:
                _assert_on(getattr(est._optimizer, name), xp, device, dtype)
        _assert_on(est.predict_proba(X), xp, device, dtype)
        _assert_on(est.predict_log_proba(X), xp, device, dtype)
        _assert_on(est.predict(X), xp, device, "int64")
        assert isinstance(est.score(X, y), float)
        target = _to(xp, device, X_NP[:, 0] * 2, dtype)
        reg = BackpropMLPRegressor(hidden_layer_sizes=(10,), solver=solver,
                                   max_iter=5, random_state=0).fit(X, target)
        _assert_on(reg.predict(X), xp, device, dtype)
        assert reg.predict(X).shape == (X_NP.shape[0],)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("name,device_name", [
    ("torch", "cpu"), ("array_api_strict", "CPU_DEVICE"), ("torch", "cuda"),
    ("cupy", None),
])
def test_float64_fit_equals_the_numpy_fit(name, device_name, solver):
    """Same seed: same initial weights and batches (drawn on the host), same
    arithmetic in the same order -- 20 epochs on load_digits (a GPU's
    products round differently: still within 1e-6)."""
    xp, device, _ = _namespace((name, device_name, "float64"))
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    params = dict(solver=solver, max_iter=20, random_state=0, tol=0.0,
                  n_iter_no_change=1000, alpha=1e-3)
    ref = BackpropMLPClassifier(**params).fit(X, y)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier(**params).fit(
            _to(xp, device, X), _to(xp, device, y))
        proba = _np(est.predict_proba(_to(xp, device, X)))
    assert_allclose(proba, ref.predict_proba(X), rtol=0, atol=1e-6)
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-9)
    assert est.n_iter_ == ref.n_iter_ and est.t_ == ref.t_


@pytest.mark.parametrize("activation", ["gelu", "logistic", "softplus", "elu",
                                        "leaky_relu", "tanh", "identity", "selu",
                                        "mish"])
def test_every_activation_on_a_device_stand_in(activation):
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    params = dict(hidden_layer_sizes=(8,), activation=activation, max_iter=3,
                  random_state=0)
    ref = BackpropMLPRegressor(**params).fit(X_NP, X_NP[:, 1])
    with config_context(array_api_dispatch=True):
        est = BackpropMLPRegressor(**params).fit(
            _to(xp, device, X_NP), _to(xp, device, X_NP[:, 1]))
        pred = _np(est.predict(_to(xp, device, X_NP)))
    assert_allclose(pred, ref.predict(X_NP), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Est,scoring,target", [
    (BackpropMLPClassifier, "neg_log_loss", Y_NP),
    (BackpropMLPRegressor, "neg_mean_absolute_error", X_NP[:, 1]),
])
def test_per_layer_activations_and_scoring_on_a_device_stand_in(Est, scoring, target):
    """Per-layer activations and early stopping on a chosen
    scorer work on a device as on numpy: the same validation scores."""
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    params = dict(hidden_layer_sizes=(8, 6), activation=["tanh", "gelu"],
                  early_stopping=True, scoring=scoring, max_iter=5,
                  random_state=0)
    ref = Est(**params).fit(X_NP, target)
    with config_context(array_api_dispatch=True):
        est = Est(**params).fit(_to(xp, device, X_NP), _to(xp, device, target))
    assert len(est.validation_scores_) == 5
    assert_allclose(est.validation_scores_, ref.validation_scores_, rtol=1e-10)


def test_a_scorer_error_on_a_device_is_the_scorers():
    """A scorer's ValueError (here: a log error of negative targets) is
    raised as is on a device too, not hidden by a host conversion of the
    network's output."""
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    y = X_NP[:, 1] - 10  # negative: no mean squared log error
    params = dict(hidden_layer_sizes=(4,), early_stopping=True, max_iter=3,
                  scoring="neg_mean_squared_log_error", random_state=0)
    with pytest.raises(ValueError, match="Mean Squared Logarithmic Error"):
        BackpropMLPRegressor(**params).fit(X_NP, y)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="Mean Squared Logarithmic Error"):
            BackpropMLPRegressor(**params).fit(_to(xp, device, X_NP),
                                               _to(xp, device, y))


def test_every_registered_activation_has_an_array_api_version():
    from skbackprop._engine.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS

    # the activations whose registry entry has an array-API form
    registry = {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}
    XP_ACTIVATIONS = {name for name, act in registry.items()
                      if act._xp_forward is not None}
    assert set(ACTIVATIONS) | set(OUTPUT_ACTIVATIONS) == XP_ACTIVATIONS


def test_an_activation_without_an_array_api_version_is_refused(monkeypatch):
    """A new activation registered for numpy only is not run as the
    identity on a device: fit and predict say so, and a refused fit leaves
    the fitted model as it was."""

    registry = register_sine_activation(monkeypatch)
    # the parameter's allowed names are read from the registry at import
    monkeypatch.setitem(BackpropMLPRegressor._parameter_constraints,
                        "activation", [StrOptions(set(registry)),
                                       "array-like"])
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    est = BackpropMLPRegressor(hidden_layer_sizes=(4,), activation="sine",
                               max_iter=3, random_state=0)
    est.fit(X_NP, X_NP[:, 1])
    coefs = [c.copy() for c in est.coefs_]
    Xd, yd = _to(xp, device, X_NP), _to(xp, device, X_NP[:, 1])
    with config_context(array_api_dispatch=True):
        with pytest.raises(NotImplementedError, match="'sine' has no array-API"):
            est.fit(Xd, yd)
        with pytest.raises(NotImplementedError, match="'sine' has no array-API"):
            BackpropMLPRegressor(activation="sine").fit(Xd, yd)
    for a, b in zip(est.coefs_, coefs):
        assert_array_equal(a, b)


def test_partial_fit_and_warm_start_continue_on_the_device(combo):
    xp, device, dtype = combo
    X, y = _to(xp, device, X_NP, dtype), _to(xp, device, Y_NP)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((15,), random_state=0)
        for _ in range(3):
            est.partial_fit(X, y, classes=np.arange(10))
        assert est.t_ == 3 * X_NP.shape[0] and len(est.loss_curve_) == 3
        _assert_on(est._optimizer.m, xp, device, dtype)
        warm = BackpropMLPClassifier((15,), max_iter=2, warm_start=True,
                                     random_state=0).fit(X, y)
        warm.fit(X, y)
        assert len(warm.loss_curve_) == 4
        _assert_on(warm.coefs_[0], xp, device, dtype)
    ref = BackpropMLPClassifier((15,), random_state=0)
    for _ in range(3):
        ref.partial_fit(X_NP.astype(dtype), Y_NP, classes=np.arange(10))
    assert_allclose(est.loss_curve_, ref.loss_curve_,
                    rtol=1e-9 if dtype == "float64" else 1e-4)


def test_early_stopping_sample_and_class_weights_on_the_device(combo):
    xp, device, dtype = combo
    X, y = _to(xp, device, X_NP, dtype), _to(xp, device, Y_NP)
    sw = np.random.RandomState(0).uniform(0.0, 2.0, len(Y_NP))
    sw[:50] = 0.0  # whole zero-weight batches
    params = dict(hidden_layer_sizes=(12,), max_iter=4, random_state=0,
                  early_stopping=True, batch_size=50, class_weight="balanced")
    ref = BackpropMLPClassifier(**params).fit(X_NP.astype(dtype), Y_NP,
                                               sample_weight=sw)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier(**params).fit(
            X, y, sample_weight=_to(xp, device, sw))
    tol = 1e-9 if dtype == "float64" else 1e-4
    assert_allclose(est.validation_scores_, ref.validation_scores_, rtol=tol)
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=tol)


def test_labels_stay_on_the_host_and_come_back_in_their_type():
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    labels = np.array(["cat", "dog", "eel"])[Y_NP % 3]
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((6,), max_iter=3, random_state=0).fit(
            _to(xp, device, X_NP), labels)
        pred = est.predict(_to(xp, device, X_NP))
    assert isinstance(pred, np.ndarray) and pred.dtype.kind == "U"
    assert set(pred) <= {"cat", "dog", "eel"}
    assert isinstance(est.classes_, np.ndarray)


def test_persistence_of_a_device_model(tmp_path):
    xp, device, _ = _namespace(("torch", "cpu", "float32"))
    X = _to(xp, device, X_NP, "float32")
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(
            X, _to(xp, device, Y_NP))
        expected = _np(est.predict_proba(X))
        twin = copy.deepcopy(est)  # a deep copy keeps the device arrays
        _assert_on(twin.coefs_[0], xp, device, "float32")
        assert_array_equal(_np(twin.predict_proba(X)), expected)
    # pickle stores numpy arrays: the file loads and predicts anywhere
    loaded = pickle.loads(pickle.dumps(est))
    assert all(isinstance(c, np.ndarray) for c in loaded.coefs_)
    assert isinstance(loaded._optimizer.m, np.ndarray)
    assert_allclose(loaded.predict_proba(X_NP.astype(np.float32)), expected,
                    rtol=1e-6)
    sio = pytest.importorskip("skops.io")
    sio.dump(est, tmp_path / "model.skops")
    restored = sio.load(tmp_path / "model.skops",
                        trusted=[f"skbackprop._mlp.{type(est).__name__}"])
    assert_allclose(restored.predict_proba(X_NP.astype(np.float32)), expected,
                    rtol=1e-6)


def test_move_estimator_to_numpy_converts_the_optimizer_too():
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(
            _to(xp, device, X_NP), _to(xp, device, Y_NP))
        expected = _np(est.predict_proba(_to(xp, device, X_NP)))
        moved = move_estimator_to(est, np, "cpu")
    assert isinstance(moved._optimizer.m, np.ndarray)
    assert_allclose(moved.predict_proba(X_NP), expected, rtol=1e-12)
    moved.partial_fit(X_NP, Y_NP)  # and trains on with numpy


def test_a_device_model_outside_its_namespace_says_how_to_move_it():
    xp, device, _ = _namespace(("array_api_strict", "device1", "float64"))
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((5,), max_iter=2, random_state=0).fit(
            _to(xp, device, X_NP), _to(xp, device, Y_NP))
        with pytest.raises(ValueError, match="must use the same namespace"):
            est.predict_proba(X_NP)
    with pytest.raises(ValueError, match="array_api_dispatch=True.*move_estimator_to"):
        est.predict(X_NP)


def test_numpy_and_sparse_input_keep_the_numpy_engine():
    ref = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(X_NP, Y_NP)
    with config_context(array_api_dispatch=True):
        dense = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(X_NP, Y_NP)
        sparse = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(
            sp.csr_matrix(X_NP), Y_NP)
    for est in (dense, sparse):
        assert all(isinstance(c, np.ndarray) for c in est.coefs_)
    assert_array_equal(dense.coefs_[0], ref.coefs_[0])
    assert_allclose(sparse.coefs_[0], ref.coefs_[0], rtol=1e-12, atol=1e-15)


def test_onnx_export_of_a_device_model():
    pytest.importorskip("skl2onnx")
    rt = pytest.importorskip("onnxruntime")
    from skbackprop import to_onnx

    xp, device, _ = _namespace(("array_api_strict", "device1", "float32"))
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((10,), max_iter=3, random_state=0).fit(
            _to(xp, device, X_NP, "float32"), _to(xp, device, Y_NP))
        expected = _np(est.predict_proba(_to(xp, device, X_NP, "float32")))
    onx = to_onnx(est, X_NP[:1].astype(np.float32), options={"zipmap": False})
    sess = rt.InferenceSession(onx.SerializeToString())
    _, proba = sess.run(None, {"X": X_NP.astype(np.float32)})
    assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


def test_torch_tensors_that_require_a_gradient_train_without_autograd():
    torch = pytest.importorskip("torch")
    X = torch.asarray(X_NP).requires_grad_(True)
    y = torch.asarray(Y_NP)
    with config_context(array_api_dispatch=True):
        est = BackpropMLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
        proba = est.predict_proba(X)
    assert not est.coefs_[0].requires_grad and not proba.requires_grad
    assert X.grad is None
    ref = BackpropMLPClassifier((8,), max_iter=3, random_state=0).fit(X_NP, Y_NP)
    assert_allclose(proba.numpy(), ref.predict_proba(X_NP), atol=1e-12)
