"""Layers as objects: the dense layer through the layer API, and a new
layer kind -- here a test-only per-feature scaling -- as one class plugged
into a network, on the numpy and the array-API backends, checked against
finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop._engine import Network, numerical_gradient
from skbackprop._engine.activations import get_activation
from skbackprop._engine.layers import Dense, Layer, LayerBuffers
from skbackprop._engine.numpy_ops import NUMPY


class Scale(Layer):
    """``a' = a * s + t``, one ``s`` and ``t`` per feature (test-only)."""

    def __init__(self, units):
        self.fan_in = self.fan_out = units
        self.coef_shape = (units,)
        self.coef_size = self.intercept_size = units
        self.identity = get_activation("identity")

    def place(self, number, coef_start, intercept_start):
        self.number = number
        self.coef_slice = slice(coef_start, coef_start + self.coef_size)
        self.intercept_slice = slice(intercept_start, intercept_start + self.fan_out)

    def parameters(self, flat, reshape=np.reshape):
        return flat[self.coef_slice], flat[self.intercept_slice]

    def buffers(self, capacity, dtype, rate=0.0, first=False):
        buf = LayerBuffers(rate)
        if capacity is not None:
            buf.out_store = np.empty((capacity, self.fan_out), dtype)
            if not first:
                buf.input_grad_store = np.empty((capacity, self.fan_in), dtype)
        return buf

    def forward(self, ops, params, a_prev, buf, n, training=True):
        scale, shift = params
        out = None if buf.out_store is None else buf.out_store[:n]
        z = ops.multiply(a_prev, scale, out)
        buf.a, buf.z = ops.bias_activation(z, shift, self.identity)
        buf.output = buf.a
        return buf.output

    def backward(self, ops, params, grads, a_prev, upstream, buf, n,
                 is_delta=False, need_input_grad=True):
        scale, _ = params
        shift_grad = ops.column_sum(upstream, grads[1])
        input_grad = None
        if need_input_grad:
            out = None if buf.input_grad_store is None else buf.input_grad_store[:n]
            input_grad = ops.multiply(upstream, scale, out)
        scale_grad = ops.column_sum(ops.multiply(upstream, a_prev, upstream), grads[0])
        return input_grad, scale_grad, shift_grad


def _problem(loss="log_loss", n=12, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    if loss == "log_loss":
        Y = np.eye(3)[rng.randint(0, 3, n)]
    else:
        Y = rng.randn(n, 3)
    return rng, X, Y, rng.uniform(0.5, 2.0, n)


def _gradient_error(net, flat, X, Y, sw, l2):
    ws = net.workspace(X.shape[0])
    grad = np.empty_like(flat)
    net.loss_grad(flat, grad, X, Y, sw, l2, ws)

    def objective(theta):
        return net.loss_grad(theta, np.empty_like(theta), X, Y, sw, l2, ws)

    num = numerical_gradient(objective, flat.copy())
    scale = np.maximum(np.maximum(np.abs(num), np.abs(grad)), 1e-6)
    return np.max(np.abs(num - grad) / scale)


@pytest.mark.parametrize("activation", ["tanh", "gelu", "softplus"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_dense_layers_gradcheck_through_the_layer_api(activation, loss):
    rng, X, Y, sw = _problem(loss)
    net = Network([4, 5, 6, 3], activation, loss)
    assert all(isinstance(layer, Dense) for layer in net.layers)
    assert [layer.number for layer in net.layers] == [1, 2, 3]
    flat = net.init_params(rng)
    assert _gradient_error(net, flat, X, Y, sw, 0.1) < 1e-6


def test_a_dense_layer_forward_is_its_formula():
    rng, X, _, _ = _problem()
    net = Network([4, 5, 3], "tanh", "log_loss")
    flat = net.init_params(rng)
    layer = net.layers[0]
    W, b = layer.parameters(flat)
    assert np.shares_memory(W, flat) and np.shares_memory(b, flat)
    buf = layer.buffers(X.shape[0], np.float64, first=True)
    assert buf.input_grad_store is None  # no gradient for the input
    out = layer.forward(NUMPY, (W, b), X, buf, X.shape[0])
    assert_allclose(out, np.tanh(X @ W + b), rtol=1e-14)


def _scaled_network(loss="log_loss"):
    net = Network([4, 5, 3], "tanh", loss)
    net.set_layers([Scale(4), *net.layers])
    return net


def test_a_new_layer_kind_is_one_class_plugged_into_a_network():
    rng, X, Y, sw = _problem()
    net = _scaled_network()
    assert [layer.number for layer in net.layers] == [1, 2, 3]
    assert net.n_params == 2 * 4 + 4 * 5 + 5 * 3 + 5 + 3
    # the flat layout: every coefficient, then every intercept
    assert net.layers[0].coef_slice == slice(0, 4)
    assert net.layers[0].intercept_slice == slice(net.n_coef, net.n_coef + 4)
    flat = rng.uniform(-1, 1, net.n_params)
    assert _gradient_error(net, flat, X, Y, sw, 0.1) < 1e-6
    # and it is what it says: unit scale, zero shift is the plain network
    plain = Network([4, 5, 3], "tanh", "log_loss")
    coefs, intercepts = net.unpack(flat)
    flat[net.layers[0].coef_slice] = 1.0
    flat[net.layers[0].intercept_slice] = 0.0
    out = net.forward(flat, X, net.workspace(X.shape[0]))
    ref = plain.predict(coefs[1:], intercepts[1:], X)
    assert_allclose(out, ref, rtol=1e-14)


def test_a_new_layer_kind_runs_on_the_array_api_backend():
    xp = pytest.importorskip("array_api_strict")
    from skbackprop._engine import ArrayNamespace
    from skbackprop._engine.kernels import ArrayApiKernels

    rng, X, Y, sw = _problem()
    net = _scaled_network()
    flat = rng.uniform(-1, 1, net.n_params)
    grad = np.empty_like(flat)
    ref = net.loss_grad(flat, grad, X, Y, sw, 0.0, net.workspace(X.shape[0]))
    device = xp.Device("CPU_DEVICE")
    kernels = ArrayApiKernels(ArrayNamespace(xp, device, np.asarray))
    to = lambda a: xp.asarray(a, device=device)  # noqa: E731
    loss, dgrad = net.data_loss_grad(to(flat), None, to(X), to(Y), to(sw),
                                     net.workspace(None), kernels)
    assert_allclose(float(loss), ref, rtol=1e-13)
    assert_allclose(np.asarray(dgrad), grad, rtol=1e-12, atol=1e-15)


def test_dense_gradient_is_bitwise_the_same_through_a_reused_workspace():
    rng, X, Y, sw = _problem(n=16)
    net = Network([4, 6, 3], "relu", "log_loss")
    flat = net.init_params(rng)
    ws = net.workspace(16)
    g1, g2 = np.empty_like(flat), np.empty_like(flat)
    l1 = net.loss_grad(flat, g1, X[:7], Y[:7], sw[:7], 0.1, ws)
    net.loss_grad(flat, g2, X, Y, sw, 0.1, ws)
    l2 = net.loss_grad(flat, g2, X[:7], Y[:7], sw[:7], 0.1, ws)
    assert l1 == l2
    assert_array_equal(g1, g2)
