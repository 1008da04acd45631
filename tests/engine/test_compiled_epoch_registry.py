"""The compiled epoch is generated from the registry: an activation whose
entry gives a scalar form and a number trains tiny networks through the
compiled epoch, with no edit of the compiled module, and agrees with the
numpy path to rounding; the generated module is named after its source."""

import math

import numpy as np
import pytest

from skbackprop._engine import activations, kernels
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import Adam
from skbackprop._engine.trainer import TinyTrainer, Trainer, make_trainer

pytest.importorskip("numba")
compiled_epoch = pytest.importorskip("skbackprop._engine.compiled_epoch")


# the inverse square root unit, f(z) = z / sqrt(1 + z^2), f' = (1 - f^2)^1.5
def _isru(Z):
    Z /= np.sqrt(Z * Z + 1.0)


def _isru_backward(delta, A, Z):
    g = 1.0 - A * A
    g *= np.sqrt(g)
    delta *= g


def _isru_scalar(z, cap):
    return z / math.sqrt(z * z + 1.0)


def _isru_scalar_derivative(a, z):
    g = 1.0 - a * a
    return g * math.sqrt(g)


@pytest.fixture
def isru(monkeypatch):
    entry = activations.Activation(
        "isru", _isru, _isru_backward, tiny_code=100,
        scalar=(_isru_scalar, _isru_scalar_derivative))
    monkeypatch.setitem(activations.ACTIVATIONS, "isru", entry)
    monkeypatch.setattr(kernels, "disabled", False)
    return entry


def test_the_generated_module_is_named_after_its_source(isru, monkeypatch):
    with_isru = compiled_epoch.compiled_module()
    assert "def _isru_scalar(z, cap)" in open(with_isru.__file__).read()
    assert "if code == 100:" in open(with_isru.__file__).read()
    monkeypatch.delitem(activations.ACTIVATIONS, "isru")
    without = compiled_epoch.compiled_module()
    assert without is not with_isru and without.__file__ != with_isru.__file__
    assert "_isru_scalar" not in open(without.__file__).read()
    assert compiled_epoch.compiled_module() is without  # made once


@pytest.mark.slow  # compiles the generated module once per machine
@pytest.mark.parametrize("loss", ["binary_log_loss", "squared_error"])
def test_an_entry_with_a_scalar_form_trains_through_the_compiled_epoch(isru, loss):
    net = Network([3, 5, 4, 2], "isru", loss)
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3))
    Y = (rng.rand(40, 2) > 0.5).astype(np.uint8 if "log" in loss else float)
    trainer = make_trainer(net, Adam(net.n_params, np.float64), 40, 10**6)
    assert type(trainer) is TinyTrainer
    start = net.init_params(rng)
    results = []
    for make in (Trainer, TinyTrainer):
        params, opt = start.copy(), Adam(net.n_params, np.float64, 0.01)
        args = (compiled_epoch.compiled_module().tiny_epoch,) if (
            make is TinyTrainer) else ()
        trainer = make(net, opt, 40, *args)
        loss_sum = trainer.epoch(params, trainer.prepare(X, True), Y, None, None,
                                 40, 0.05)
        results.append((params, loss_sum))
    (p0, l0), (p1, l1) = results
    assert not np.array_equal(p0, start)
    assert np.abs(p1 - p0).max() <= 1e-12 * np.abs(p0).max()
    assert abs(l1 - l0) <= 1e-12 * abs(l0)
