"""The engine on its own: derivatives, losses, gradients, a hand-worked net."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from skb_test_helpers import needs_sklearn_1_7

from skbackprop import gradcheck
from skbackprop._engine import (
    ACTIVATIONS,
    LOSSES,
    SGD,
    Adam,
    Network,
    get_activation,
    numerical_gradient,
)
from skbackprop._engine.activations import OUTPUT_ACTIVATIONS
from skbackprop._engine.losses import get_loss

ALL_ACTIVATIONS = sorted(ACTIVATIONS)


def _targets(loss, rng, n, k):
    if loss == "log_loss":
        return np.eye(k)[rng.randint(0, k, n)]
    if loss == "binary_log_loss":
        return (rng.rand(n, k) > 0.5).astype(float)
    if loss == "poisson":
        return rng.poisson(2.0, (n, k)).astype(float)
    return rng.randn(n, k)


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_activation_derivative_matches_finite_differences(name):
    """backward(delta=1) equals d f / d z, computed numerically per element."""
    act = get_activation(name)
    z = np.linspace(-3, 3, 41) + 0.013  # avoid the kink of relu-likes at 0
    a = z.copy()
    act.forward(a)
    delta = np.ones_like(z)
    act.backward(delta, a, z.copy() if act.needs_z else None)

    def f(x):
        y = x.copy()
        act.forward(y)
        return y

    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    assert_allclose(delta, numeric, rtol=1e-6, atol=1e-8)


def test_logistic_derivative_has_no_spurious_factor():
    # the origin tutorial's bug: sigma'(z) = 2 sigma (1 - sigma)
    act = get_activation("logistic")
    a = np.array([0.5])
    delta = np.array([1.0])
    act.backward(delta, a, None)
    assert delta[0] == 0.25


@pytest.mark.parametrize("name", ["logistic", "softmax", "exp"])
def test_output_activations_stay_finite_for_extreme_logits(name):
    act = get_activation(name, output=True)
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    # underflow to 0 is the right answer; overflow or NaN would not be
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        act.forward(z)
    assert np.isfinite(z).all()
    if name == "softmax":
        assert_allclose(z.sum(axis=1), 1.0)


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_losses_are_finite_at_saturated_outputs(loss_name):
    loss = LOSSES[loss_name]
    out = get_activation(loss.out_activation, output=True)
    Z = np.array([[1e4, -1e4], [-1e4, 1e4]])
    out.forward(Z)
    Y = np.array([[0.0, 1.0], [0.0, 1.0]])
    if loss_name == "log_loss":
        Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.value(Z, Y, None)
    assert np.isfinite(value)


@needs_sklearn_1_7
def test_loss_values_match_sklearn():
    from sklearn.neural_network._base import LOSS_FUNCTIONS

    rng = np.random.RandomState(0)
    P = rng.dirichlet(np.ones(4), size=30)
    Y = np.eye(4)[rng.randint(0, 4, 30)]
    sw = rng.rand(30) + 0.5
    for weights in (None, sw):
        total = 30 if weights is None else weights.sum()
        assert_allclose(
            LOSSES["log_loss"].value(P, Y, weights) / total,
            LOSS_FUNCTIONS["log_loss"](Y, P, weights),
            rtol=1e-13,
        )
        Pb = rng.rand(30, 3)
        Yb = (rng.rand(30, 3) > 0.5).astype(float)
        assert_allclose(
            LOSSES["binary_log_loss"].value(Pb, Yb, weights) / total,
            LOSS_FUNCTIONS["binary_log_loss"](Yb, Pb, weights),
            rtol=1e-13,
        )
        rate = rng.rand(30, 2) + 0.1
        Yp = rng.poisson(1.0, (30, 2)).astype(float)
        assert_allclose(
            LOSSES["poisson"].value(rate, Yp, weights) / total,
            LOSS_FUNCTIONS["poisson"](Yp, rate, weights),
            rtol=1e-13,
        )
        # single output: sklearn's squared loss agrees; several outputs: ours
        # sums over outputs (consistent with the gradient), sklearn averages
        A, T = rng.randn(30, 1), rng.randn(30, 1)
        assert_allclose(
            LOSSES["squared_error"].value(A, T, weights) / total,
            LOSS_FUNCTIONS["squared_error"](T, A, weights),
            rtol=1e-13,
        )
        A, T = rng.randn(30, 3), rng.randn(30, 3)
        assert_allclose(
            LOSSES["squared_error"].value(A, T, weights) / total,
            3 * LOSS_FUNCTIONS["squared_error"](T, A, weights),
            rtol=1e-13,
        )


def test_cross_entropy_is_averaged_over_samples_not_outputs():
    # the origin tutorial divided by the number of outputs
    P = np.full((4, 2), 0.5)
    Y = np.array([[1.0, 0.0]] * 4)
    assert_allclose(LOSSES["log_loss"].value(P, Y, None) / 4, np.log(2))


@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradcheck_every_activation_and_loss(activation, loss, alpha):
    rng = np.random.RandomState(42)
    X = rng.randn(15, 3)
    Y = _targets(loss, rng, 15, 3)
    sw = rng.rand(15) + 0.2
    for weights in (None, sw):
        err = gradcheck(
            X, Y, (4, 3), activation, loss, alpha=alpha, sample_weight=weights
        )
        assert err < 1e-6, (activation, loss, alpha, err)


def test_gradcheck_detects_a_wrong_gradient():
    """The checker itself must be able to fail."""
    rng = np.random.RandomState(0)
    X = rng.randn(10, 2)
    Y = (rng.rand(10, 1) > 0.5).astype(float)
    act = ACTIVATIONS["tanh"]
    original = act.backward

    def doubled(delta, A, Z):  # the tutorial's spurious factor 2
        original(delta, A, Z)
        delta *= 2

    act.backward = doubled
    try:
        err = gradcheck(X, Y, (3,), "tanh", "binary_log_loss")
    finally:
        act.backward = original
    assert err > 1e-2


def test_numerical_gradient_of_a_quadratic():
    x = np.array([1.0, -2.0, 3.0])
    g = numerical_gradient(lambda v: float(v @ v), x.copy())
    assert_allclose(g, 2 * x, rtol=1e-10)


def test_hand_worked_tiny_network():
    """2 inputs, 2 hidden (logistic), 1 logistic output, log-loss, one sample.

    Every number below is computed by hand from the chain rule:
    z1 = x W1 + b1, a1 = sigma(z1), z2 = a1 W2 + b2, a2 = sigma(z2),
    delta2 = a2 - y, dW2 = a1^T delta2, db2 = delta2,
    delta1 = (delta2 W2^T) * a1 (1 - a1), dW1 = x^T delta1, db1 = delta1.
    """
    x = np.array([[1.0, 2.0]])
    y = np.array([[1.0]])
    W1 = np.array([[0.1, -0.2], [0.3, 0.4]])
    b1 = np.array([0.0, 0.1])
    W2 = np.array([[0.5], [-0.6]])
    b2 = np.array([0.2])

    # forward by hand
    z1 = np.array([1 * 0.1 + 2 * 0.3 + 0.0, 1 * -0.2 + 2 * 0.4 + 0.1])  # .7, .7
    a1 = 1 / (1 + np.exp(-z1))
    z2 = a1[0] * 0.5 + a1[1] * -0.6 + 0.2
    a2 = 1 / (1 + np.exp(-z2))
    loss = -np.log(a2)
    # backward by hand
    d2 = a2 - 1.0
    dW2 = np.array([[a1[0] * d2], [a1[1] * d2]])
    db2 = np.array([d2])
    d1 = np.array([d2 * 0.5, d2 * -0.6]) * a1 * (1 - a1)
    dW1 = np.array([[1 * d1[0], 1 * d1[1]], [2 * d1[0], 2 * d1[1]]])
    db1 = d1

    net = Network([2, 2, 1], "logistic", "binary_log_loss")
    flat = net.pack([W1, W2], [b1, b2])
    grad = np.empty_like(flat)
    ws = net.workspace(1)
    value = net.loss_grad(flat, grad, x, y, None, 0.0, ws)

    assert_allclose(z1, [0.7, 0.7])
    assert_allclose(ws.layers[0].out_store[0], a1, rtol=1e-14)
    # the output buffer now holds the fused output delta a2 - y
    assert_allclose(ws.layers[1].out_store[0, 0], d2, rtol=1e-14)
    assert_allclose(net.forward(flat, x, ws)[0, 0], a2, rtol=1e-14)
    assert_allclose(value, loss, rtol=1e-14)
    (gW1, gW2), (gb1, gb2) = net.unpack(grad)
    assert_allclose(gW1, dW1, rtol=1e-13)
    assert_allclose(gb1, db1, rtol=1e-13)
    assert_allclose(gW2, dW2, rtol=1e-13)
    assert_allclose(gb2, db2, rtol=1e-13)
    # numerically: a2 = sigma(0.2 + 0.5 s - 0.6 s), s = sigma(0.7)
    s = expit(0.7)
    assert_allclose(a2, expit(0.2 - 0.1 * s), rtol=1e-15)


def test_weight_and_bias_gradients_are_both_means():
    """dW and db are scaled alike (the tutorial summed dW but averaged db):
    duplicating every sample leaves both gradients unchanged."""
    rng = np.random.RandomState(1)
    X = rng.randn(6, 3)
    Y = rng.randn(6, 2)
    net = Network([3, 4, 2], "tanh", "squared_error")
    flat = net.init_params(np.random.RandomState(0))
    g1, g2 = np.empty_like(flat), np.empty_like(flat)
    net.loss_grad(flat, g1, X, Y, None, 0.0, net.workspace(12))
    net.loss_grad(
        flat, g2, np.vstack([X, X]), np.vstack([Y, Y]), None, 0.0, net.workspace(12)
    )
    assert_allclose(g1, g2, rtol=1e-12)


def test_flat_buffer_layout_and_views():
    net = Network([3, 4, 2], "relu", "squared_error", dtype=np.float32)
    flat = net.init_params(np.random.RandomState(0))
    assert flat.dtype == np.float32 and flat.size == 3 * 4 + 4 * 2 + 4 + 2
    coefs, intercepts = net.views(flat)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert all(np.shares_memory(c, flat) for c in coefs + intercepts)
    coefs[1][0, 0] = 123.0
    assert flat[12] == 123.0  # W_1 starts right after W_0's 12 entries


def test_optimizers_update_in_place_like_their_formulas():
    rng = np.random.RandomState(0)
    p0 = rng.randn(5)
    g = rng.randn(5)
    # Nesterov SGD, two steps
    opt = SGD(5, np.float64, learning_rate_init=0.1, momentum=0.9, nesterov=True)
    p = p0.copy()
    buf = p
    opt.update(p, g.copy())  # a step consumes its gradient buffer
    opt.update(p, g.copy())
    assert p is buf
    v1 = -0.1 * g
    step1 = 0.9 * v1 - 0.1 * g
    v2 = 0.9 * v1 - 0.1 * g
    step2 = 0.9 * v2 - 0.1 * g
    assert_allclose(p, p0 + step1 + step2, rtol=1e-14)
    # Adam, one step: m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(.001) / .1
    opt = Adam(5, np.float64, learning_rate_init=0.01)
    p = p0.copy()
    opt.update(p, g.copy())
    m, v = 0.1 * g, 0.001 * g * g
    lr_t = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    assert_allclose(p, p0 - lr_t * m / (np.sqrt(v) + 1e-8), rtol=1e-13)


@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
def test_float32_stays_float32(activation):
    rng = np.random.RandomState(0)
    X = rng.randn(8, 3).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 8)]
    net = Network([3, 5, 3], activation, "log_loss", dtype=np.float32)
    flat = net.init_params(np.random.RandomState(0))
    grad = np.empty_like(flat)
    ws = net.workspace(8)
    net.loss_grad(flat, grad, X, Y, None, 0.01, ws)
    assert grad.dtype == np.float32
    buffers = [a for buf in ws.layers for a in buf.stores()] + [ws.scratch]
    assert all(a.dtype == np.float32 for a in buffers)
    out = net.predict(*net.unpack(flat), X)
    assert out.dtype == np.float32


def test_gradcheck_takes_what_the_estimators_take():
    """An int hidden_layer_sizes is one layer and a RandomState (or None)
    seeds the weights, as for the estimators."""
    from skbackprop import gradcheck

    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    Y = (rng.rand(20, 1) > 0.5).astype(float)
    assert gradcheck(X, Y, 4) == gradcheck(X, Y, (4,))
    seeded = gradcheck(X, Y, (4,), random_state=np.random.RandomState(1))
    assert seeded == gradcheck(X, Y, (4,), random_state=1)
    assert gradcheck(X, Y, (4,), random_state=None) < 1e-6


def test_numerical_stability_extreme_logits():
    # any overflow, invalid operation or division by zero raises here
    # (underflow to 0 is exact enough for probabilities)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for dtype in (np.float32, np.float64):
            Z = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
            logistic = Z.copy()
            get_activation("logistic").forward(logistic)
            assert np.isfinite(logistic).all()
            assert logistic.min() >= 0 and logistic.max() <= 1
            softmax = Z.copy()
            OUTPUT_ACTIVATIONS["softmax"].forward(softmax)
            assert np.isfinite(softmax).all()
            np.testing.assert_allclose(softmax.sum(axis=1), 1, rtol=1e-6)
            Y = np.array([[1, 0, 0], [0, 0, 1]], dtype=dtype)  # the wrong classes
            for loss, A in [("log_loss", softmax), ("binary_log_loss", logistic)]:
                value = get_loss(loss).value(A, Y, None)
                assert np.isfinite(value) and value > 0
            for name in ("tanh", "softplus", "elu", "gelu", "relu", "leaky_relu"):
                A = Z.copy()
                get_activation(name).forward(A)
                assert np.isfinite(A).all(), name
            rate = Z.copy()
            OUTPUT_ACTIVATIONS["exp"].forward(rate)
            assert np.isfinite(rate).all()  # clipped below overflow
