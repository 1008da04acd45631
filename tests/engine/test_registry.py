"""Each activation and loss is written once: one registry entry holding its
numpy, array-API, ONNX and compiled-epoch forms side by side.

* A test-only activation registered for one test (the :func:`isru`
  fixture) trains and predicts on numpy and on array_api_strict, gradchecks,
  exports to ONNX, and trains tiny networks on the numpy path (the compiled
  epoch cannot take a Python function: entries without ``tiny_code`` fall
  back, bit for bit the numpy fit).
* A form left out is refused by the backend, naming the activation or loss.
* Each entry's ``tiny_code`` is the case of the compiled epoch's switch that
  computes that entry's function (the switch holds literal numbers).
* The formulas' names (``tanh``, ``exp``, ``expm1``, ``logaddexp``) occur in
  at most two files of the package: the registry and the compiled epoch.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn import config_context
from sklearn.utils._param_validation import StrOptions

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor, gradcheck
from skbackprop._engine import Network, activations, kernels, losses
from skbackprop._engine import trainer as trainer_module
from skbackprop._engine.optimizers import Adam
from skbackprop._engine.trainer import check_array_api as check_activations

X = np.random.RandomState(0).standard_normal((120, 4))
Y_CLASS = (X[:, 0] * X[:, 1] + 0.3 * X[:, 2] > 0).astype(int)
Y_REG = np.sin(X[:, 0]) + 0.5 * X[:, 3]


# ----------------------------------------------------------------------
# a test-only activation, the inverse square root unit:
# f(z) = z / sqrt(1 + z^2), f'(z) = (1 + z^2)^(-3/2) = (1 - f(z)^2)^(3/2)
def _isru(Z):
    Z /= np.sqrt(Z * Z + 1.0)


def _isru_backward(delta, A, Z):
    g = 1.0 - A * A
    g *= np.sqrt(g)
    delta *= g


def _isru_xp(ns, c, z):
    return z / ns.xp.sqrt(z * z + 1.0)


def _isru_xp_backward(ns, delta, a, z):
    g = 1.0 - a * a
    return delta * (g * ns.xp.sqrt(g))


def _isru_onnx(ops, x, dtype, opv):
    one = np.array([1.0], dtype=dtype)
    square = ops.OnnxMul(x, x, op_version=opv)
    root = ops.OnnxSqrt(ops.OnnxAdd(square, one, op_version=opv), op_version=opv)
    return ops.OnnxDiv(x, root, op_version=opv)


def _register(monkeypatch, entry):
    """Add ``entry`` to the registry (and to the estimators' allowed names,
    read from the registry at import) for one test."""
    monkeypatch.setitem(activations.ACTIVATIONS, entry.name, entry)
    for cls in (BackpropMLPClassifier, BackpropMLPRegressor):
        monkeypatch.setitem(cls._parameter_constraints, "activation",
                            [StrOptions(set(activations.ACTIVATIONS)),
                             "array-like"])
    return entry


@pytest.fixture
def isru(monkeypatch):
    """The inverse square root unit registered with numpy, array-API and
    ONNX forms and no ``tiny_code``; removed after the test."""
    yield _register(monkeypatch, activations.Activation(
        "isru", _isru, _isru_backward,
        xp_forward=_isru_xp, xp_backward=_isru_xp_backward, onnx=_isru_onnx,
    ))


def _estimators():
    params = dict(hidden_layer_sizes=(6, 5), activation="isru",
                  batch_size=16, max_iter=5, random_state=0)
    return [(BackpropMLPClassifier(**params), Y_CLASS),
            (BackpropMLPRegressor(**params), Y_REG)]


def test_a_registered_activation_trains_and_predicts_on_numpy(isru):
    for est, y in _estimators():
        fit_quietly(est, X, y)
        assert np.isfinite(est.loss_curve_).all()
        assert est.loss_curve_[-1] < est.loss_curve_[0]
        # its own formula, not another activation's: a refit with tanh differs
        other = fit_quietly(est.__class__(**{**est.get_params(),
                                             "activation": "tanh"}), X, y)
        assert est.loss_curve_ != other.loss_curve_
        assert est.predict(X).shape == y.shape


def test_a_registered_activation_gradchecks(isru):
    Y = (np.random.RandomState(1).rand(20, 2) > 0.5).astype(float)
    assert gradcheck(X[:20], Y, (5, 3), "isru", "binary_log_loss",
                     alpha=0.1) < 1e-6
    assert gradcheck(X[:20], np.abs(Y + 0.5), (4,), "isru", "poisson") < 1e-6


def test_a_registered_activation_trains_on_array_api_strict(isru):
    from skbackprop._array_api import SUPPORTED

    if not SUPPORTED:
        pytest.skip("array API support needs scikit-learn >= 1.9")
    xp = pytest.importorskip("array_api_strict")
    device = xp.Device("device1")
    for est, y in _estimators():
        ref = fit_quietly(est.__class__(**est.get_params()), X, y)
        with config_context(array_api_dispatch=True):
            fit_quietly(est, xp.asarray(X, device=device),
                        xp.asarray(y, device=device))
            if isinstance(est, BackpropMLPClassifier):
                got = est.predict_proba(xp.asarray(X, device=device))
                expected = ref.predict_proba(X)
            else:
                got = est.predict(xp.asarray(X, device=device))
                expected = ref.predict(X)
        assert got.device == device
        assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-9)
        assert_allclose(np.asarray(xp.asarray(got, device=xp.Device("CPU_DEVICE"))),
                        expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_registered_activation_exports_to_onnx(isru, dtype):
    pytest.importorskip("skl2onnx")
    rt = pytest.importorskip("onnxruntime")
    from skbackprop import to_onnx

    Xd = X.astype(dtype)
    for est, y in _estimators():
        fit_quietly(est, Xd, y)
        onx = to_onnx(est, Xd[:1], options={"zipmap": False})
        sess = rt.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
        outputs = sess.run(None, {sess.get_inputs()[0].name: Xd})
        tol = 1e-5 if dtype == np.float32 else 1e-12
        if isinstance(est, BackpropMLPClassifier):
            assert_array_equal(outputs[0], est.predict(Xd))
            assert_allclose(outputs[1], est.predict_proba(Xd), atol=tol)
        else:
            assert_allclose(outputs[0].ravel(), est.predict(Xd), atol=tol,
                            rtol=tol)


def test_an_entry_without_tiny_code_trains_tiny_networks_on_numpy(
        isru, monkeypatch):
    """The compiled epoch cannot compile a Python function into its switch:
    a tiny network of an entry without ``tiny_code``, trained long enough
    for the compiled epoch, takes the numpy trainer and gives the numpy
    fit bit for bit; the same network with a coded activation does take the
    compiled epoch (so the check can fail)."""
    pytest.importorskip("numba")
    monkeypatch.setattr(kernels, "disabled", False)
    net = Network([4, 3, 1], "isru", "binary_log_loss")
    opt = Adam(net.n_params, np.float64)
    assert kernels.tiny_epoch_loop(net, 16, 10**6) is None
    assert type(trainer_module.make_trainer(net, opt, 16, 10**6)) is (
        trainer_module.Trainer)
    coded = Network([4, 3, 1], "tanh", "binary_log_loss")
    assert type(trainer_module.make_trainer(coded, opt, 16, 10**6)) is (
        trainer_module.TinyTrainer)

    fits = []
    for threshold in (0, 10**9):
        monkeypatch.setattr(kernels, "TINY_MIN_BATCHES", threshold)
        est = BackpropMLPClassifier(hidden_layer_sizes=(3,), activation="isru",
                                    batch_size=16, max_iter=4, random_state=0)
        fits.append(fit_quietly(est, X, Y_CLASS))
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        assert_array_equal(a, b)


# ----------------------------------------------------------------------
# a form left out is refused by name
def test_an_activation_without_an_onnx_form_is_refused_by_name(monkeypatch):
    pytest.importorskip("skl2onnx")
    from skbackprop import to_onnx

    _register(monkeypatch, activations.Activation(
        "numpy_only", _isru, _isru_backward))
    est = fit_quietly(BackpropMLPRegressor(hidden_layer_sizes=(3,),
                                           activation="numpy_only",
                                           max_iter=3, random_state=0),
                      X, Y_REG)
    with pytest.raises(NotImplementedError,
                       match="'numpy_only' cannot be exported to ONNX"):
        to_onnx(est, X[:1].astype(np.float32))


def test_a_loss_without_an_array_api_form_is_refused_by_name(monkeypatch):
    entry = losses.Loss("numpy_only_loss", losses.LOSSES["squared_error"].value,
                        "identity")
    monkeypatch.setitem(losses.LOSSES, entry.name, entry)
    net = Network([3, 2, 1], "tanh", "numpy_only_loss")
    with pytest.raises(NotImplementedError,
                       match="loss 'numpy_only_loss' has no array-API"):
        check_activations(net)
    with pytest.raises(NotImplementedError, match="'numpy_only_loss'"):
        entry.xp_sum(None, None, None, None, None)
    assert kernels.tiny_epoch_loop(net, 8, 10**6) is None
    check_activations(Network([3, 2, 1], "tanh", "squared_error"))


def test_an_output_only_array_api_form_is_refused_in_a_hidden_layer(monkeypatch):
    _register(monkeypatch, activations.Activation(
        "forward_only", _isru, _isru_backward, xp_forward=_isru_xp))
    with pytest.raises(NotImplementedError,
                       match="activation 'forward_only' has no array-API"):
        check_activations(Network([3, 2, 1], "forward_only", "squared_error"))


# ----------------------------------------------------------------------
# the compiled epoch's switch against the registry's numbers
def _coded(registry):
    return sorted((act for act in registry.values() if act.tiny_code is not None),
                  key=lambda act: act.name)


def test_registry_numbers_are_distinct_and_every_builtin_has_one():
    entries = {**activations.ACTIVATIONS, **activations.OUTPUT_ACTIVATIONS}
    codes = [act.tiny_code for act in entries.values()]
    assert None not in codes and len(set(codes)) == len(codes)
    loss_codes = [loss.tiny_code for loss in losses.LOSSES.values()]
    assert None not in loss_codes and len(set(loss_codes)) == len(loss_codes)


def _pre_activations(rng, m, n):
    Z = rng.standard_normal((m, n)) * 3.0
    Z[0, :3] = [0.0, -1e-3, 40.0]  # a kink, a small value, a saturation
    return Z


@pytest.mark.parametrize(
    "act", _coded({**activations.ACTIVATIONS, **activations.OUTPUT_ACTIVATIONS}),
    ids=repr)
def test_each_registry_number_is_its_activation_in_the_compiled_switch(act):
    """The compiled forward (and, for hidden activations, derivative) of
    ``act.tiny_code`` equals the entry's numpy form to rounding."""
    compiled = pytest.importorskip("skbackprop._engine.compiled_epoch")
    rng = np.random.RandomState(1)
    m, n = 6, 5
    Z = _pre_activations(rng, m, n)
    expected = Z.copy()
    act.forward(expected)
    acts, zs = Z.ravel().copy(), np.zeros(m * n)
    compiled._activate_layer(act.tiny_code, acts, zs, 0, m, n,
                             activations.exp_cap(np.float64))
    assert_allclose(acts.reshape(m, n), expected, rtol=1e-13, atol=1e-300)
    if act.name not in activations.ACTIVATIONS:
        return  # output activations are differentiated with the loss
    delta = rng.standard_normal((m, n))
    expected_delta = delta.copy()
    act.backward(expected_delta, expected, Z)
    deltas = delta.ravel().copy()
    compiled._times_derivative(act.tiny_code, deltas, acts, Z.ravel().copy(),
                               0, m * n)
    # tanh's 1 - a^2 against numpy's delta - delta a^2: rounding of O(delta)
    assert_allclose(deltas.reshape(m, n), expected_delta, rtol=1e-13,
                    atol=1e-15 * np.abs(delta).max())


def _loss_problem(loss, rng, m, n):
    Z = rng.standard_normal((m, n))
    out = activations.get_activation(loss.out_activation, output=True)
    out.forward(Z)
    if loss.name == "log_loss":
        Y = np.eye(n)[rng.randint(0, n, m)]
    elif loss.name == "binary_log_loss":
        Y = (rng.rand(m, n) > 0.5).astype(float)
    else:
        Y = np.abs(rng.standard_normal((m, n)))
        Y[0, 0] = 0.0
    return Z, Y


@pytest.mark.parametrize("loss", _coded(losses.LOSSES), ids=repr)
def test_each_registry_number_is_its_loss_in_the_compiled_switch(loss):
    compiled = pytest.importorskip("skbackprop._engine.compiled_epoch")
    rng = np.random.RandomState(2)
    m, n = 7, 3
    A, Y = _loss_problem(loss, rng, m, n)
    sw = rng.uniform(0.5, 2.0, m)
    weight = sw.sum()
    expected = loss.value(A, Y, sw) / weight
    expected_delta = loss.delta(A, Y, sw, 1.0 / weight, np.empty_like(A))
    finfo = np.finfo(np.float64)
    acts = A.ravel().copy()
    got = compiled._loss_and_delta(acts, 0, Y, np.arange(m), sw, True, n,
                                   loss.tiny_code, finfo.eps, finfo.tiny, weight)
    assert got == pytest.approx(expected, rel=1e-13)
    assert_allclose(acts.reshape(m, n), expected_delta, rtol=1e-13)
