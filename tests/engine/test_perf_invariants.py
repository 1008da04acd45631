"""The properties the engine's speed rests on, checked without timing.

Speed itself is measured by ``benchmarks/run.py``; these tests pin down what
makes it possible: float32 stays float32 end to end, the hot loop allocates no
parameter-sized temporaries, workspaces are reused across batches and epochs,
and the in-place optimizer steps (which use the gradient buffer as their
scratch) equal scikit-learn's optimizers.
"""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose
from skb_test_helpers import fit_quietly as _fit
from sklearn.datasets import load_digits
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor
from skbackprop._engine.network import Network
from skbackprop._engine.optimizers import SGD, Adam


def _digits(dtype=np.float64):
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_float32_end_to_end(solver):
    X, y = _digits(np.float32)
    model = _fit(BackpropMLPClassifier(solver=solver, max_iter=3, random_state=0),
                 X, y)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    state = model._optimizer.get_state()
    arrays = [v for v in state.values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)
    assert model.predict_proba(X).dtype == np.float32
    reg = _fit(BackpropMLPRegressor(solver=solver, max_iter=3, random_state=0),
               X, y.astype(np.float32))
    assert reg.predict(X).dtype == np.float32


def _peak_fit_bytes(X, y, **params):
    est = BackpropMLPClassifier(random_state=0, **params)
    tracemalloc.start()
    try:
        _fit(est, X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_float32_fit_needs_about_half_the_memory():
    X64, y = _digits(np.float64)
    params = dict(hidden_layer_sizes=(256,), max_iter=2)
    peak64 = _peak_fit_bytes(X64, y, **params)
    peak32 = _peak_fit_bytes(X64.astype(np.float32), y, **params)
    # a silent float64 upcast anywhere would put float32 at float64's level
    assert peak32 < 0.6 * peak64


def test_epochs_reuse_the_workspaces():
    X, y = _digits()
    params = dict(hidden_layer_sizes=(64,))
    short = _peak_fit_bytes(X, y, max_iter=2, **params)
    long = _peak_fit_bytes(X, y, max_iter=30, **params)
    # 15x the epochs, 135x the batches: the same buffers (the loss curve's
    # floats aside)
    assert long < 1.05 * short


@pytest.mark.parametrize("opt_cls", [Adam, SGD])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_step_allocates_no_parameter_sized_temporary(opt_cls, dtype):
    net = Network([300, 400, 100, 10], "relu", "log_loss", dtype)
    rng = np.random.RandomState(0)
    flat = net.init_params(rng)
    grad = np.empty_like(flat)
    X = rng.randn(64, 300).astype(dtype)
    Y = np.eye(10, dtype=np.uint8)[rng.randint(0, 10, 64)]
    ws = net.workspace(64)
    assert net.n_coef > 2 * ws.scratch.size  # the L2 update runs in several blocks
    opt = opt_cls(net.n_params, dtype)
    net.loss_grad(flat, grad, X, Y, None, 1e-3, ws)  # warm the view cache
    opt.update(flat, grad)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            net.loss_grad(flat, grad, X, Y, None, 1e-3, ws)
            opt.update(flat, grad)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # only batch-sized temporaries (the loss's clipped probabilities, relu's
    # mask): far below one parameter vector
    assert peak < 0.1 * flat.nbytes, (peak, flat.nbytes)


@pytest.mark.parametrize("n_params", [1000, 50007])
def test_adam_equals_sklearns(n_params):
    rng = np.random.RandomState(0)
    params = rng.randn(n_params)
    ours = Adam(n_params, np.float64, learning_rate_init=0.01)
    theirs_params = [params.copy()]
    theirs = AdamOptimizer(theirs_params, learning_rate_init=0.01)
    for _ in range(5):
        grad = rng.randn(n_params)
        theirs.update_params(theirs_params, [grad.copy()])
        ours.update(params, grad)  # consumes grad
    assert_allclose(params, theirs_params[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("n_params", [1000, 50007])
def test_sgd_equals_sklearns(n_params, nesterov):
    rng = np.random.RandomState(0)
    params = rng.randn(n_params)
    ours = SGD(n_params, np.float64, learning_rate_init=0.1, momentum=0.9,
               nesterov=nesterov)
    theirs_params = [params.copy()]
    theirs = SGDOptimizer(theirs_params, learning_rate_init=0.1, momentum=0.9,
                          nesterov=nesterov)
    for _ in range(5):
        grad = rng.randn(n_params)
        theirs.update_params(theirs_params, [grad.copy()])
        ours.update(params, grad)  # consumes grad
    assert_allclose(params, theirs_params[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("batch", [8, 150])
def test_l2_gradient_blocks_cover_every_weight(batch):
    """The blocked L2 update adds lambda * W to every weight exactly once,
    through a scratch of its own (small batch) or a free workspace buffer."""
    net = Network([200, 300, 5], "tanh", "squared_error")
    rng = np.random.RandomState(0)
    flat = net.init_params(rng)
    X = rng.randn(batch, 200)
    Y = rng.randn(batch, 5)
    ws = net.workspace(batch)
    assert net.n_coef > ws.scratch.size  # at least two blocks
    buffers = [b for buf in ws.layers
               for b in (buf.out_store, buf.input_grad_store) if b is not None]
    reused = any(ws.scratch.base is b for b in buffers)
    assert reused == (batch == 150)
    g0, g1 = np.empty_like(flat), np.empty_like(flat)
    l0 = net.loss_grad(flat, g0, X, Y, None, 0.0, ws)
    l1 = net.loss_grad(flat, g1, X, Y, None, 0.5, ws)
    w = flat[: net.n_coef]
    assert_allclose(g1[: net.n_coef] - g0[: net.n_coef], 0.5 * w, rtol=1e-9,
                    atol=1e-15)
    assert_allclose(g1[net.n_coef:], g0[net.n_coef:])
    assert l1 - l0 == pytest.approx(0.25 * np.dot(w, w), rel=1e-10)
