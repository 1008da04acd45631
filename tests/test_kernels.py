"""The fused numba loops give bit-identical results to the numpy path.

Which path runs is purely a matter of speed (``skbackprop._engine.kernels``);
these tests run both and compare with ``assert_array_equal`` -- exact
equality, NaN matching NaN -- from single kernels up to whole fits.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skb_test_helpers import fit_quietly
from sklearn.datasets import load_digits

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine import kernels as _kernels
from skbackprop._engine.activations import get_activation
from skbackprop._engine.kernels import NumbaKernels, select_kernels
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import SGD, Adam

pytest.importorskip("numba")


@pytest.fixture
def fused(monkeypatch):
    """Switch between the paths: ``fused(True)`` uses the loops at any size."""

    def switch(on):
        monkeypatch.setattr(_kernels, "disabled", not on)
        monkeypatch.setattr(_kernels, "MIN_PARAMS", 0)

    return switch


def _special(rng, shape, dtype):
    """Random values sprinkled with 0, -0, +-inf and NaN."""
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    picks = rng.choice(flat.size, size=5 * 4, replace=False)
    for i, v in zip(picks, [0.0, -0.0, np.inf, -np.inf, np.nan] * 4):
        flat[i] = v
    return a


def _optimizer(kind, n, dtype):
    if kind == "adam":
        return Adam(n, dtype, learning_rate_init=0.01)
    momentum, nesterov = {"sgd": (0.0, False), "momentum": (0.9, False),
                          "nesterov": (0.9, True)}[kind]
    return SGD(n, dtype, learning_rate_init=0.1, momentum=momentum,
               nesterov=nesterov, lr_schedule="invscaling")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["adam", "sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("l2", [0.0, 1e-2])
def test_fused_optimizer_step_equals_numpy_bitwise(fused, kind, dtype, l2):
    rng = np.random.RandomState(0)
    n, n_coef = 5003, 4000
    start = rng.randn(n).astype(dtype)
    grads = [rng.randn(n).astype(dtype) for _ in range(6)]
    results = []
    for on in (False, True):
        fused(on)
        params, opt = start.copy(), _optimizer(kind, n, dtype)
        kernels = select_kernels(params.size)
        assert isinstance(kernels, NumbaKernels) == on
        for t, g in enumerate(grads):
            opt.update(params, g.copy(), l2, n_coef, kernels=kernels)
            opt.iteration_ends(10 * (t + 1))
        state = getattr(opt, opt._state_name)
        results.append((params, state.copy(), opt.learning_rate))
    (p0, s0, lr0), (p1, s1, lr1) = results
    assert p0.dtype == p1.dtype == dtype
    assert_array_equal(p1, p0)
    assert_array_equal(s1, s0)
    assert lr1 == lr0
    assert not np.array_equal(p0, start)  # the steps did something


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["relu", "softmax"])
def test_fused_forward_equals_numpy_bitwise(fused, name, dtype):
    rng = np.random.RandomState(1)
    Z = _special(rng, (37, 11), dtype)
    b = rng.randn(11).astype(dtype)
    act = get_activation(name, output=name == "softmax")
    out = []
    for on in (False, True):
        fused(on)
        z = Z.copy()
        with np.errstate(invalid="ignore"):  # inf - inf in a row's softmax
            select_kernels(10**6).forward_bias(act)(z, b)
        out.append(z)
    assert_array_equal(out[1], out[0])
    assert np.isnan(out[0]).any() and (out[0] == 0).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_relu_backward_equals_numpy_bitwise(fused, dtype):
    rng = np.random.RandomState(2)
    A = np.maximum(_special(rng, (29, 13), dtype), 0)
    D = _special(rng, (29, 13), dtype)
    act = get_activation("relu")
    out = []
    for on in (False, True):
        fused(on)
        d = D.copy()
        with np.errstate(invalid="ignore"):  # inf * 0, as numpy's mask gives
            select_kernels(10**6).backward(act)(d, A, None)
        out.append(d)
    assert_array_equal(out[1], out[0])
    assert (out[0] == 0).sum() > (D == 0).sum()  # the mask zeroed entries


def _digits(dtype):
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "make",
    [
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40, 20), solver="adam", alpha=1e-3
        ),
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40,), solver="sgd", alpha=1e-2,
            learning_rate_init=0.05,
        ),
        lambda: BackpropMLPRegressor(
            hidden_layer_sizes=(30,), solver="adam", alpha=1e-3
        ),
        lambda: BackpropMLPClassifier(
            hidden_layer_sizes=(40, 20), activation=["relu", "logistic"],
            dropout=0.2, alpha=1e-3,
        ),
    ],
    ids=["adam-clf", "sgd-clf", "adam-reg", "adam-dropout-mixed-clf"],
)
def test_whole_fit_is_bitwise_the_same_with_and_without_numba(fused, make, dtype):
    X, y = _digits(dtype)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    models = []
    for on in (False, True):
        fused(on)
        est = make().set_params(max_iter=4, random_state=0)
        target = y.astype(dtype) if "Regressor" in type(est).__name__ else y
        models.append(fit_quietly(est, X, target, sample_weight=sw))
    ours_np, ours_nb = models
    assert ours_np.loss_curve_ == ours_nb.loss_curve_
    for a, b in zip(ours_np.coefs_ + ours_np.intercepts_,
                    ours_nb.coefs_ + ours_nb.intercepts_):
        assert a.dtype == b.dtype == dtype
        assert_array_equal(a, b)
    assert_array_equal(ours_np.predict(X), ours_nb.predict(X))


def test_only_large_networks_use_the_loops():
    small = Network([64, 10, 10], "relu", "log_loss")
    large = Network([784, 256, 10], "relu", "log_loss")
    assert small.n_params < _kernels.MIN_PARAMS <= large.n_params
    assert select_kernels(small.n_params) is _kernels.NUMPY
    assert isinstance(select_kernels(large.n_params), NumbaKernels) == (
        not _kernels.disabled
    )


@pytest.mark.slow  # two fresh interpreters
def test_environment_variable_turns_the_loops_off():
    code = (
        "from skbackprop._engine import kernels; "
        "print(kernels.numba_available(), "
        "kernels.select_kernels(10**6).name == 'numba')"
    )
    env = dict(os.environ, SKBACKPROP_NUMBA="0")
    off = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    env["SKBACKPROP_NUMBA"] = "1"
    on = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                        capture_output=True, text=True).stdout.split()
    assert off == ["False", "False"]
    assert on == ["True", "True"]
